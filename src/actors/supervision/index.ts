export * from './restart-budget.ts';
