import type { CandleSource, Store } from '../../actors/index.ts';
import type { Candle, Interval } from '../../protocol/index.ts';
import { candleSeriesType } from './candle-query.ts';
import { readSeries } from './series-query.ts';

/** The {@link CandleSource} of a store: its candle series, streamed (see `readSeries`). */
export function storeCandleSource(store: Store): CandleSource {
  return {
    async *candles(symbol: string, interval: Interval, fromMs: number, toMs: number, signal?: AbortSignal): AsyncGenerator<Candle> {
      const { records } = await readSeries(store, { symbol, type: candleSeriesType(interval), fromMs, toMs, ...(signal ? { signal } : {}) });
      for await (const record of records) yield record as Candle;
    },
  };
}
