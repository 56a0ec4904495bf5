import { CANDLE_COLUMNS, Candle, seriesCollectionPrefix } from '../../protocol/index.ts';
import type { Interval } from '../../protocol/index.ts';
import type { Store } from '../../actors/index.ts';

export interface CandleQuery {
  readonly symbol: string;
  readonly interval: Interval;
  readonly fromMs: number;
  readonly toMs: number;
  readonly limit?: number;
}

/**
 * Stored candles of one series over `[fromMs, toMs)`, whichever workflows wrote them: every
 * collection of the series is read and merged by open time (keys are deterministic, so overlapping
 * workflows hold identical documents).
 */
export async function queryCandles(store: Store, q: CandleQuery): Promise<Candle[]> {
  const collections = await store.listCollections(seriesCollectionPrefix(q.symbol, `api_candles_${q.interval}`));
  const byOpenTime = new Map<number, Candle>();
  for (const name of collections) {
    const docs = await store.range(name, { from: q.fromMs, to: q.toMs, ...(q.limit ? { limit: q.limit } : {}) });
    for (const doc of docs) {
      const parsed = Candle.safeParse(doc);
      if (parsed.success && parsed.data.symbol === q.symbol && parsed.data.interval === q.interval) {
        byOpenTime.set(parsed.data.open_time, parsed.data);
      }
    }
  }
  const candles = [...byOpenTime.values()].sort((a, b) => a.open_time - b.open_time);
  return q.limit ? candles.slice(0, q.limit) : candles;
}

export const CANDLE_CSV_HEADER = CANDLE_COLUMNS.join(',');

export function candleCsvRow(c: Candle): string {
  return CANDLE_COLUMNS.map((col) => String(c[col])).join(',');
}

/** API and CLI JSON shape: the candle without the series fields the query already names. */
export function candleJson(c: Candle): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const col of CANDLE_COLUMNS) out[col] = c[col];
  return out;
}
