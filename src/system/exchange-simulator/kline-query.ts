import type { SymbolHoles } from './holes.ts';
import { holeAt, holesFor } from './holes.ts';
import type { Hole } from './holes.ts';
import { ceilOpen, floorOpen, isKlineInterval, nextOpen, previousOpen } from './intervals.ts';
import type { KlineInterval } from './intervals.ts';
import { klineSeries } from './kline-generator.ts';
import type { KlineRow } from './kline-generator.ts';
import { DEFAULT_LISTED_AT_MS, DEFAULT_SEED } from './simulator-defaults.ts';

export interface KlineQuery {
  readonly seed: number;
  readonly symbol: string;
  readonly interval: KlineInterval;
  readonly listedAtMs: number;
  readonly holes: SymbolHoles;
  readonly nowMs: number;
  readonly startTime?: number | undefined;
  /** Inclusive bound on open times. */
  readonly endTime?: number | undefined;
  readonly limit: number;
}

/**
 * Binance's klines semantics, as open times: with startTime, the oldest klines opening at or after
 * it; without, the newest ones up to endTime (or now). Never past now, never before the listing
 * (the kline containing the listing time is the first), holes skipped.
 */
export function klineOpenTimes(q: KlineQuery): number[] {
  const firstOpen = floorOpen(q.interval, q.listedAtMs);
  const lastAllowed = Math.min(q.endTime ?? q.nowMs, q.nowMs);
  const opens: number[] = [];
  if (q.startTime !== undefined) {
    let open = Math.max(ceilOpen(q.interval, q.startTime), firstOpen);
    while (opens.length < q.limit && open <= lastAllowed) {
      const hole = holeAt(q.holes, open);
      if (hole !== undefined) {
        open = ceilOpen(q.interval, hole.toMs);
        continue;
      }
      opens.push(open);
      open = nextOpen(q.interval, open);
    }
    return opens;
  }
  let open = floorOpen(q.interval, lastAllowed);
  while (opens.length < q.limit && open >= firstOpen) {
    const hole = holeAt(q.holes, open);
    if (hole !== undefined) {
      open = floorOpen(q.interval, hole.fromMs - 1);
      continue;
    }
    opens.push(open);
    open = previousOpen(q.interval, open);
  }
  return opens.reverse();
}

/** The klines `klineOpenTimes` selects, as REST rows. */
export function queryKlines(q: KlineQuery): KlineRow[] {
  const series = klineSeries(q.seed, q.symbol, q.interval);
  return klineOpenTimes(q).map((open) => series.at(open, q.nowMs));
}

/** Options of the `expected…` oracles; give the same values the simulator was started with. */
export interface ExpectedDataOptions {
  /** @defaultValue 1 (the simulator's default) */
  readonly seed?: number;
  readonly holes?: readonly Hole[];
  /** The simulator's "now": the kline containing it is partial, later ones do not exist. @defaultValue Date.now() */
  readonly nowMs?: number;
  /** @defaultValue 2017-01-01T00:00:00Z */
  readonly listedAtMs?: number;
}

/**
 * The exact klines the simulator serves (the same 12-column rows as its REST body) with open
 * times in [fromMs, toMs), holes excluded. Tests compare stored data against this.
 */
export function expectedKlines(
  symbol: string,
  interval: string,
  fromMs: number,
  toMs: number,
  opts: ExpectedDataOptions = {},
): KlineRow[] {
  if (!isKlineInterval(interval)) throw new RangeError(`unknown kline interval ${JSON.stringify(interval)}`);
  if (toMs <= fromMs) return [];
  return queryKlines({
    seed: opts.seed ?? DEFAULT_SEED,
    symbol,
    interval,
    listedAtMs: opts.listedAtMs ?? DEFAULT_LISTED_AT_MS,
    holes: holesFor(symbol, opts.holes),
    nowMs: opts.nowMs ?? Date.now(),
    startTime: fromMs,
    endTime: toMs - 1,
    limit: Number.POSITIVE_INFINITY,
  });
}
