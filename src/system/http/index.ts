export * from './admin-server.ts';
export * from './open-api.ts';
