export * from './embedded-bus.ts';
export * from './partitioner.ts';
export * from './create-bus.ts';
