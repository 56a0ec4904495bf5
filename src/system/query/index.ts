export * from './candle-query.ts';
