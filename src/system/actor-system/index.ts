export * from './local-actor-host.ts';
