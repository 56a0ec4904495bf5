export * from './undici-http-client.ts';
