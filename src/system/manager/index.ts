export * from './workflow-manager.ts';
export * from './local-manager.ts';
