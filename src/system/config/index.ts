export * from './config.ts';
export * from './stage-env.ts';
