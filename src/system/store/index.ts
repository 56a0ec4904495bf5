export * from './embedded-store.ts';
