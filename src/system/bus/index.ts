export * from './embedded-bus.ts';
export * from './partitioner.ts';
