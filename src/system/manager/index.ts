export * from './workflow-manager.ts';
export * from './local-manager.ts';
export * from './workflow-changes.ts';
