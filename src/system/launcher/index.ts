export * from './in-process-launcher.ts';
export * from './process-launcher.ts';
