import { CANDLE_COLUMNS } from '../../protocol/index.ts';
import type { Candle } from '../../protocol/index.ts';
import { querySeries } from './series-query.ts';
import type { Interval } from '../../protocol/index.ts';
import type { Store } from '../../actors/index.ts';

export interface CandleQuery {
  readonly symbol: string;
  readonly interval: Interval;
  readonly fromMs: number;
  readonly toMs: number;
  readonly limit?: number;
}

/** The series type candles of an interval are read as (REST, live and archive candles are one series). */
export function candleSeriesType(interval: Interval): string {
  return `api_candles_${interval}`;
}

/**
 * Stored candles of one series over `[fromMs, toMs)`, whichever workflows and sources (REST, live
 * stream, archive) wrote them, ordered by open time, all in memory (see `readSeries` for a stream).
 */
export async function queryCandles(store: Store, q: CandleQuery): Promise<Candle[]> {
  const { records } = await querySeries(store, { symbol: q.symbol, type: candleSeriesType(q.interval), fromMs: q.fromMs, toMs: q.toMs, ...(q.limit ? { limit: q.limit } : {}) });
  return records as Candle[];
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
