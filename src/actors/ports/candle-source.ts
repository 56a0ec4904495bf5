import type { Candle, Interval } from '../../protocol/index.ts';

/** Stored candles as a graph-builder reads them: the store's series, merged across the workflows and sources that wrote them. */
export interface CandleSource {
  /** A symbol's stored candles of `[fromMs, toMs)` by open time, each once, read a page at a time. */
  candles(symbol: string, interval: Interval, fromMs: number, toMs: number, signal?: AbortSignal): AsyncIterable<Candle>;
}
