export * from './nact-actor-host.ts';
