import type { AggTradeRow, Interval, KlineRow } from '../../protocol/index.ts';
import { firstAggTrades, settledBefore } from '../exchange/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { RestPiece } from './range-planner.ts';

const PAGE_LIMIT = 1000;

/**
 * Closed klines opening in the piece, a page at a time, paged by the last open time returned
 * (never by a computed step: the exchange has holes), exactly as the REST candle loader pages.
 */
export async function* restKlinePages(client: BinanceRestClient, symbol: string, interval: Interval, piece: RestPiece): AsyncGenerator<KlineRow[]> {
  let next = piece.fromMs;
  while (next < piece.toMs) {
    const rows = await client.klines(symbol, interval, next, piece.toMs - 1, PAGE_LIMIT);
    // The still-open kline has partial values: only klines certainly closed are data.
    const settled = settledBefore(rows, client.serverNow());
    const closed = rows.filter((r) => r[0] >= next && r[0] < piece.toMs && r[6] < settled);
    yield closed;
    const last = closed.at(-1);
    if (!last || rows.length < PAGE_LIMIT || closed.length < rows.length) return;
    next = last[0] + 1;
  }
}

/**
 * Aggregate trades with a time in the piece, a page at a time. The first id is found by time, in
 * windows of at most an hour stepped forward until one holds a trade; from there pages go by
 * `fromId = last id + 1` (paging by time loses trades sharing a millisecond) until a trade's time
 * reaches the piece's end or the exchange has no more.
 */
export async function* restAggTradePages(client: BinanceRestClient, symbol: string, piece: RestPiece): AsyncGenerator<AggTradeRow[]> {
  // Windows past the exchange's now cannot hold a trade: a range ending in the future stops there
  // (window starts are whole milliseconds: the last one starts at the now rounded up).
  const lastStart = Math.ceil(client.serverNow());
  let rows = await firstAggTrades(client, symbol, { fromMs: piece.fromMs, untilMs: piece.toMs, upTo: () => lastStart, limit: PAGE_LIMIT });
  // The window's rows are the first ids from its start on: the first page. It ends with its window,
  // not with the trades, so paging by id goes on after it whatever its length.
  let full = true;
  while (rows.length > 0) {
    const inside = rows.filter((r) => r.T >= piece.fromMs && r.T < piece.toMs);
    yield inside;
    const last = rows.at(-1);
    if (!last || !full || last.T >= piece.toMs) return;
    rows = await client.aggTrades(symbol, { fromId: last.a + 1, limit: PAGE_LIMIT });
    full = rows.length === PAGE_LIMIT;
  }
}
