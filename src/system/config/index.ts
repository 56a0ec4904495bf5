export * from './config.ts';
export * from './stage-env.ts';
export * from './s3-endpoint.ts';
