import { AGGS_PER_BUCKET, BUCKET_MS, countRawTrades, tradeStream } from './agg-trade-generator.ts';
import type { AggTradeRow, TradeStream } from './agg-trade-generator.ts';
import { holeAt, holesFor } from './holes.ts';
import type { SymbolHoles } from './holes.ts';
import type { ExpectedDataOptions } from './kline-query.ts';
import { DEFAULT_LISTED_AT_MS, DEFAULT_SEED } from './simulator-defaults.ts';

export interface AggTradeQuery {
  readonly seed: number;
  readonly symbol: string;
  readonly listedAtMs: number;
  readonly holes: SymbolHoles;
  readonly nowMs: number;
  readonly fromId?: number | undefined;
  readonly startTime?: number | undefined;
  readonly endTime?: number | undefined;
  readonly limit: number;
}

interface Scan {
  readonly stream: TradeStream;
  readonly q: AggTradeQuery;
}

/** Live (not in a hole, listed, not in the future) aggregate trades and trades before `timeMs`. */
function liveBefore(scan: Scan, timeMs: number): { aggs: number; trades: number } {
  const { stream, q } = scan;
  const total = countRawTrades(stream, q.listedAtMs, timeMs);
  for (const hole of q.holes) {
    const removed = countRawTrades(stream, Math.max(hole.fromMs, q.listedAtMs), Math.min(hole.toMs, timeMs));
    total.aggs -= removed.aggs;
    total.trades -= removed.trades;
  }
  return total;
}

/** Live trades in time order from `fromMs` to `toMs` inclusive, keeping ids >= minId, up to limit. */
function collect(scan: Scan, fromMs: number, toMs: number, minId: number, limit: number): AggTradeRow[] {
  const { stream, q } = scan;
  const start = Math.max(fromMs, q.listedAtMs);
  const end = Math.min(toMs, q.nowMs);
  const rows: AggTradeRow[] = [];
  const next = liveBefore(scan, start);
  let bucket = Math.floor(start / BUCKET_MS);
  while (rows.length < limit && bucket * BUCKET_MS <= end) {
    const bucketStart = bucket * BUCKET_MS;
    const covering = holeAt(q.holes, bucketStart);
    if (covering !== undefined && covering.toMs >= bucketStart + BUCKET_MS) {
      bucket = Math.floor(covering.toMs / BUCKET_MS);
      continue;
    }
    for (const raw of stream.bucket(bucket)) {
      if (raw.timeMs < start || holeAt(q.holes, raw.timeMs) !== undefined) continue;
      if (raw.timeMs > end || rows.length >= limit) break;
      if (next.aggs >= minId) rows.push(stream.format(raw, next.aggs, next.trades));
      next.aggs += 1;
      next.trades += raw.tradeCount;
    }
    bucket += 1;
  }
  return rows;
}

/** Start of the bucket holding the live aggregate trade (or trade) numbered `id`, or undefined if it does not exist yet. */
function bucketStartOfId(scan: Scan, id: number, counted: 'aggs' | 'trades' = 'aggs'): number | undefined {
  const { q } = scan;
  const horizon = q.nowMs + 1;
  if (liveBefore(scan, horizon)[counted] <= id) return undefined;
  let lo = Math.floor(q.listedAtMs / BUCKET_MS);
  let hi = Math.floor(q.nowMs / BUCKET_MS);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (liveBefore(scan, Math.min((mid + 1) * BUCKET_MS, horizon))[counted] > id) hi = mid;
    else lo = mid + 1;
  }
  return lo * BUCKET_MS;
}

/**
 * Binance's aggTrades semantics: from `fromId` (time bounds, if also given, filter), else from
 * `startTime`, else the most recent `limit` trades up to endTime (or now).
 */
export function queryAggTrades(q: AggTradeQuery): AggTradeRow[] {
  const scan: Scan = { stream: tradeStream(q.seed, q.symbol), q };
  const toMs = q.endTime ?? Number.POSITIVE_INFINITY;
  if (q.fromId === undefined && q.startTime !== undefined) {
    return collect(scan, q.startTime, toMs, 0, q.limit);
  }
  const fromId = q.fromId ?? Math.max(0, liveBefore(scan, Math.min(toMs, q.nowMs) + 1).aggs - q.limit);
  const fromMs = bucketStartOfId(scan, fromId);
  if (fromMs === undefined) return [];
  return collect(scan, Math.max(fromMs, q.startTime ?? fromMs), toMs, fromId, q.limit);
}

/**
 * The live aggregate trades from the one holding single trade `tradeId` on (the ones before it are
 * dropped), up to `limit` of them; or, without `tradeId`, the ones holding the most recent `limit`
 * trades. Time bounds of `q` are ignored.
 */
export function queryAggTradesOfTrades(q: AggTradeQuery, tradeId: number | undefined): AggTradeRow[] {
  const scan: Scan = { stream: tradeStream(q.seed, q.symbol), q };
  const fromTrade = tradeId ?? Math.max(0, liveBefore(scan, q.nowMs + 1).trades - q.limit);
  const fromMs = bucketStartOfId(scan, fromTrade, 'trades');
  if (fromMs === undefined) return [];
  // The bucket may start with aggregates ending before fromTrade: ask for that many more.
  const rows = collect(scan, fromMs, Number.POSITIVE_INFINITY, 0, q.limit + AGGS_PER_BUCKET);
  const first = rows.findIndex((row) => row.l >= fromTrade);
  return first === -1 ? [] : rows.slice(first, first + q.limit);
}

/** Live aggregate trades and trades with a time before `timeMs` (the next ids at `timeMs`). */
export function liveCountsBefore(q: AggTradeQuery, timeMs: number): { aggs: number; trades: number } {
  return liveBefore({ stream: tradeStream(q.seed, q.symbol), q }, Math.max(timeMs, q.listedAtMs));
}

/**
 * The exact aggregate trades the simulator serves with a time in [fromMs, toMs), holes excluded,
 * ids as the simulator numbers them (consecutive from 0 at the listing).
 */
export function expectedAggTrades(
  symbol: string,
  fromMs: number,
  toMs: number,
  opts: ExpectedDataOptions = {},
): AggTradeRow[] {
  if (toMs <= fromMs) return [];
  return queryAggTrades({
    seed: opts.seed ?? DEFAULT_SEED,
    symbol,
    listedAtMs: opts.listedAtMs ?? DEFAULT_LISTED_AT_MS,
    holes: holesFor(symbol, opts.holes),
    nowMs: opts.nowMs ?? Date.now(),
    startTime: fromMs,
    endTime: toMs - 1,
    limit: Number.POSITIVE_INFINITY,
  });
}
