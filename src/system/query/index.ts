export * from './candle-query.ts';
export * from './series-query.ts';
