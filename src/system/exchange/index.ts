export * from './undici-http-client.ts';
export * from './ws-websocket-connector.ts';
