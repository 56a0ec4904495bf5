export type * from './bus.ts';
export type * from './store.ts';
export type * from './clock.ts';
export type * from './http-client.ts';
export type * from './logger.ts';
export type * from './metrics.ts';
export type * from './actor.ts';
export type * from './launcher.ts';
