import type { AggTradeRow } from '../../protocol/index.ts';
import type { BinanceRestClient } from './binance-rest-client.ts';

/** The widest `startTime`/`endTime` window `GET /api/v3/aggTrades` accepts. */
export const AGG_TRADES_WINDOW_MS = 3_600_000;

/** Where {@link firstAggTrades} searches, window by window from `fromMs`. */
export interface AggTradeSearch {
  readonly fromMs: number;
  /** Exclusive end: no window starts at or reaches past it. @defaultValue none */
  readonly untilMs?: number;
  /** No window starts after this, read again before each window (e.g. the exchange's now). @defaultValue none */
  readonly upTo?: () => number;
  /** @defaultValue no limit */
  readonly maxWindows?: number;
  /** Rows asked for per window. @defaultValue 1 */
  readonly limit?: number;
}

/**
 * The oldest aggregate trades at or after `fromMs`: the rows of the first hour-long window (the
 * widest the exchange takes) that holds any, stepping over holes and quiet hours; empty when no
 * window within the search does. From there, trades are paged by id, never by time.
 */
export async function firstAggTrades(client: BinanceRestClient, symbol: string, search: AggTradeSearch): Promise<AggTradeRow[]> {
  const { fromMs, untilMs = Infinity, upTo, maxWindows = Infinity, limit = 1 } = search;
  for (let start = fromMs, windows = 0; start < untilMs && windows < maxWindows && (!upTo || start <= upTo()); start += AGG_TRADES_WINDOW_MS, windows++) {
    const endTime = Math.min(start + AGG_TRADES_WINDOW_MS, untilMs) - 1;
    const rows = await client.aggTrades(symbol, { startTime: start, endTime, limit });
    if (rows.length > 0) return rows;
  }
  return [];
}

/** The first aggregate trade at or after `search.fromMs` (see {@link firstAggTrades}), or undefined when there is none. */
export async function firstAggTrade(client: BinanceRestClient, symbol: string, search: Omit<AggTradeSearch, 'limit'>): Promise<AggTradeRow | undefined> {
  const [first] = await firstAggTrades(client, symbol, { ...search, limit: 1 });
  return first;
}
