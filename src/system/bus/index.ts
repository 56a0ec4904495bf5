export * from './embedded-bus.ts';
export * from './partitioner.ts';
export * from './create-bus.ts';
export * from './kafka-bus.ts';
export * from './kafka-connection-options.ts';
export * from './bus-retention.ts';
export * from './watched-bus.ts';
