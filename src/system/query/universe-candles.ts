import type { ClosedCandleFields } from '../../actors/analytics/index.ts';
import type { Store } from '../../actors/index.ts';
import type { Candle, Interval } from '../../protocol/index.ts';
import { candleSeriesType } from './candle-query.ts';
import { readSeries } from './series-query.ts';

export interface UniverseCandlesQuery {
  readonly symbols: readonly string[];
  readonly interval: Interval;
  readonly fromMs: number;
  readonly toMs: number;
  /** Stops the store reads (before their next page) when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Each symbol's stored candles over `[fromMs, toMs)`, in `symbols` order, read through the paged
 * series reader (every workflow's collections merged, each candle once) and kept as the fields the
 * analytics read, so a universe of long series costs a fraction of whole candle documents.
 */
export async function queryUniverseCandles(store: Store, q: UniverseCandlesQuery): Promise<ClosedCandleFields[][]> {
  return Promise.all(
    q.symbols.map(async (symbol) => {
      const { records } = await readSeries(store, {
        symbol,
        type: candleSeriesType(q.interval),
        fromMs: q.fromMs,
        toMs: q.toMs,
        ...(q.signal ? { signal: q.signal } : {}),
      });
      const candles: ClosedCandleFields[] = [];
      for await (const record of records) {
        const c = record as Candle;
        candles.push({ open_time: c.open_time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, close_time: c.close_time });
      }
      return candles;
    }),
  );
}

/** The symbols of `symbols` with no stored candle of `interval` in `[fromMs, toMs)`: one page of one candle each. */
export async function symbolsWithoutCandles(store: Store, q: UniverseCandlesQuery): Promise<string[]> {
  const empty = await Promise.all(
    q.symbols.map(async (symbol) => {
      const { records } = await readSeries(store, { symbol, type: candleSeriesType(q.interval), fromMs: q.fromMs, toMs: q.toMs, limit: 1, pageSize: 1 });
      const first = await records.next();
      await records.return(undefined);
      return first.done === true;
    }),
  );
  return q.symbols.filter((_, i) => empty[i] === true);
}
