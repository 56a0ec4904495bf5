export * from './candle-query.ts';
export * from './series-query.ts';
export * from './gap-audit-run.ts';
