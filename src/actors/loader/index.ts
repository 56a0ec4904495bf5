export { CandleLoader } from './candle-loader.ts';
export type { LoaderMessage } from './candle-loader.ts';
export { TradeLoader, TRADE_FINALITY_MS } from './trade-loader.ts';
