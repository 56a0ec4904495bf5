import type { AggTradeRow, Interval, KlineRow, TradeRow } from '../../protocol/index.ts';
import { firstAggTrade } from '../exchange/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { TradeBounds } from './find-holes.ts';

const PAGE_LIMIT = 1000;
/** How far past a range's end the first later trade is searched for by time before paging by id instead. */
const MAX_FORWARD_WINDOWS = 24;

/** The trade records an audit knows: aggregate trades (ids `a`) and single trades (ids `f..l` of the aggregates). */
export type TradeRecordKind = 'agg_trade' | 'trade';

function firstIdOf(row: AggTradeRow, record: TradeRecordKind): number {
  return record === 'agg_trade' ? row.a : row.f;
}

function idAfter(row: AggTradeRow, record: TradeRecordKind): number {
  return record === 'agg_trade' ? row.a + 1 : row.l + 1;
}

/**
 * The exchange's ids for `[fromMs, toMs)`: the first trade at or after `fromMs`, and the first at or
 * after `toMs` (or one past the newest). When no trade follows the range within the forward search,
 * the newest trade answers in one request if it is older than `toMs` (a range reaching the present);
 * only a quiet stretch of more than a day after the range is paged by id, from `knownUpTo` (the time
 * of the newest trade we hold) rather than from the range's start. Undefined when the exchange has
 * no trade in the range.
 */
export async function exchangeTradeBounds(
  client: BinanceRestClient,
  symbol: string,
  record: TradeRecordKind,
  range: { readonly fromMs: number; readonly toMs: number; readonly nowMs: number; readonly knownUpTo?: number | undefined },
): Promise<TradeBounds | undefined> {
  const { fromMs, toMs, nowMs } = range;
  const first = await firstAggTrade(client, symbol, { fromMs, untilMs: toMs });
  if (!first) return undefined;
  const bounds = { firstId: firstIdOf(first, record), fromMs, toMs };
  const after = await firstAggTrade(client, symbol, { fromMs: toMs, untilMs: nowMs + 1, maxWindows: MAX_FORWARD_WINDOWS });
  if (after) return { ...bounds, endId: firstIdOf(after, record) };
  const [newest] = await client.aggTrades(symbol, { recent: true, limit: 1 });
  if (newest && newest.T < toMs) return { ...bounds, endId: idAfter(newest, record) };
  const known = range.knownUpTo !== undefined && range.knownUpTo > first.T ? await firstAggTrade(client, symbol, { fromMs: range.knownUpTo, untilMs: toMs }) : undefined;
  let endId = idAfter(first, record);
  let next = (known ?? first).a;
  for (;;) {
    const rows = await client.aggTrades(symbol, { fromId: next, limit: PAGE_LIMIT });
    for (const row of rows) {
      if (row.T >= toMs) return { ...bounds, endId: firstIdOf(row, record) };
      endId = idAfter(row, record);
    }
    const last = rows.at(-1);
    if (!last || rows.length < PAGE_LIMIT) return { ...bounds, endId };
    next = last.a + 1;
  }
}

/** Closed klines with an open time in `[fromMs, toMs)`, page by page, paged by the last open time returned. */
export async function forEachKlinePage(
  client: BinanceRestClient,
  symbol: string,
  interval: Interval,
  range: { readonly fromMs: number; readonly toMs: number; readonly nowMs: number },
  onPage: (rows: KlineRow[]) => Promise<void> | void,
): Promise<void> {
  let start = range.fromMs;
  while (start < range.toMs) {
    const rows = await client.klines(symbol, interval, start, range.toMs - 1, PAGE_LIMIT);
    const closed = rows.filter((r) => r[0] >= start && r[0] < range.toMs && r[6] < range.nowMs);
    if (closed.length > 0) await onPage(closed);
    const last = rows.at(-1);
    if (!last || rows.length < PAGE_LIMIT) return;
    start = last[0] + 1;
  }
}

/** Aggregate trades with ids `fromId..toId`, page by page. */
export async function forEachAggTradePage(
  client: BinanceRestClient,
  symbol: string,
  ids: { readonly fromId: number; readonly toId: number },
  onPage: (rows: AggTradeRow[]) => Promise<void> | void,
): Promise<void> {
  let next = ids.fromId;
  while (next <= ids.toId) {
    const rows = await client.aggTrades(symbol, { fromId: next, limit: Math.min(PAGE_LIMIT, ids.toId - next + 1) });
    const wanted = rows.filter((r) => r.a >= next && r.a <= ids.toId);
    if (wanted.length > 0) await onPage(wanted);
    const last = rows.at(-1);
    if (!last) return;
    next = last.a + 1;
  }
}

/** Single trades with ids `fromId..toId`, page by page (`historicalTrades`, weight 25). */
export async function forEachTradePage(
  client: BinanceRestClient,
  symbol: string,
  ids: { readonly fromId: number; readonly toId: number },
  onPage: (rows: TradeRow[]) => Promise<void> | void,
): Promise<void> {
  let next = ids.fromId;
  while (next <= ids.toId) {
    const rows = await client.historicalTrades(symbol, next, Math.min(PAGE_LIMIT, ids.toId - next + 1));
    const wanted = rows.filter((r) => r.id >= next && r.id <= ids.toId);
    if (wanted.length > 0) await onPage(wanted);
    const last = rows.at(-1);
    if (!last) return;
    next = last.id + 1;
  }
}
