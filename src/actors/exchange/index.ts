export * from './binance-rest-client.ts';
export * from './retry.ts';
export * from './weight-pacer.ts';
export * from './first-agg-trade.ts';
export * from './settled-candles.ts';
