import { expectedAggTrades, queryAggTradesOfTrades } from './agg-trade-query.ts';
import type { SymbolHoles } from './holes.ts';
import type { ExpectedDataOptions } from './kline-query.ts';
import { tradeSplitKey, tradesOfAggs } from './single-trades.ts';
import type { TradeRow } from './single-trades.ts';
import { DEFAULT_SEED } from './simulator-defaults.ts';

export interface TradeQuery {
  readonly seed: number;
  readonly symbol: string;
  readonly listedAtMs: number;
  readonly holes: SymbolHoles;
  readonly nowMs: number;
  /** First trade id; without it, the most recent `limit` trades. */
  readonly fromId: number | undefined;
  readonly limit: number;
}

/** `GET /api/v3/historicalTrades`: single trades from `fromId`, or the most recent ones. */
export function queryTrades(q: TradeQuery): TradeRow[] {
  const aggs = queryAggTradesOfTrades(
    { seed: q.seed, symbol: q.symbol, listedAtMs: q.listedAtMs, holes: q.holes, nowMs: q.nowMs, limit: q.limit },
    q.fromId,
  );
  const trades = tradesOfAggs(aggs, tradeSplitKey(q.seed, q.symbol));
  // Without fromId the aggregates reach up to now: the newest trades are the last ones.
  if (q.fromId === undefined) return trades.slice(-q.limit);
  const fromId = q.fromId;
  const first = trades.findIndex((t) => t.id >= fromId);
  return first === -1 ? [] : trades.slice(first, first + q.limit);
}

/**
 * The exact single trades the simulator serves (historicalTrades rows, `<symbol>@trade` events)
 * with a time in [fromMs, toMs), holes excluded: the trades of `expectedAggTrades`.
 */
export function expectedTrades(symbol: string, fromMs: number, toMs: number, opts: ExpectedDataOptions = {}): TradeRow[] {
  return tradesOfAggs(expectedAggTrades(symbol, fromMs, toMs, opts), tradeSplitKey(opts.seed ?? DEFAULT_SEED, symbol));
}
