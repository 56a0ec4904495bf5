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

/** The time of each client's symbols' first trade ever: it never changes, so it is asked once per client. */
const listedAt = new WeakMap<BinanceRestClient, Map<string, number>>();

/**
 * When the symbol's first trade ever happened (`fromId=0`), or undefined when it has none yet. No
 * window before it can hold a trade: a search from long before the listing starts there, instead of
 * walking every empty hour in between (months of them: thousands of requests in one actor step).
 */
export async function firstTradeTime(client: BinanceRestClient, symbol: string): Promise<number | undefined> {
  let bySymbol = listedAt.get(client);
  const known = bySymbol?.get(symbol);
  if (known !== undefined) return known;
  const [first] = await client.aggTrades(symbol, { fromId: 0, limit: 1 });
  if (first === undefined) return undefined;
  if (!bySymbol) {
    bySymbol = new Map();
    listedAt.set(client, bySymbol);
  }
  bySymbol.set(symbol, first.T);
  return first.T;
}

/**
 * The oldest aggregate trades at or after `fromMs`: the rows of the first hour-long window (the
 * widest the exchange takes) that holds any, from the symbol's first trade ever on at the earliest,
 * stepping over holes and quiet hours; empty when no window within the search does. From there,
 * trades are paged by id, never by time.
 */
export async function firstAggTrades(client: BinanceRestClient, symbol: string, search: AggTradeSearch): Promise<AggTradeRow[]> {
  const { fromMs, untilMs = Infinity, upTo, maxWindows = Infinity, limit = 1 } = search;
  if (fromMs >= untilMs || (upTo && fromMs > upTo())) return [];
  const listed = await firstTradeTime(client, symbol);
  if (listed === undefined) return [];
  for (let start = Math.max(fromMs, listed), windows = 0; start < untilMs && windows < maxWindows && (!upTo || start <= upTo()); start += AGG_TRADES_WINDOW_MS, windows++) {
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
