export * from './in-process-launcher.ts';
