import { liveCountsBefore } from './agg-trade-query.ts';
import type { AggTradeQuery } from './agg-trade-query.ts';
import { holeAt } from './holes.ts';
import type { SymbolHoles } from './holes.ts';
import { closeTimeOf, floorOpen, nextOpen } from './intervals.ts';
import type { KlineInterval } from './intervals.ts';
import { emptyKlineValues, klineSeries } from './kline-generator.ts';
import { klineEvent } from './live-events.ts';
import type { Topic } from './stream-hub.ts';

/** What the live feeds see of the simulator. */
export interface FeedContext {
  readonly seed: number;
  readonly listedAtMs: ReadonlyMap<string, number>;
  readonly holes: ReadonlyMap<string, SymbolHoles>;
}

const SECOND_MS = 1000;
const values = emptyKlineValues();

/**
 * One tick of a `<symbol>@kline_<interval>` stream: an `x: true` event for every kline that closed
 * in (fromMs, nowMs], with the values of the REST row for its open time, then (once per simulator
 * second) an `x: false` update of the open kline. Klines opening in a hole or before the listing
 * are never sent, as REST never serves them.
 */
export function publishKlines(topic: Topic, symbol: string, interval: KlineInterval, ctx: FeedContext, fromMs: number, nowMs: number): void {
  const listedAtMs = ctx.listedAtMs.get(symbol) ?? 0;
  const holes = ctx.holes.get(symbol) ?? [];
  const firstOpen = floorOpen(interval, listedAtMs);
  const series = klineSeries(ctx.seed, symbol, interval);
  const trades: AggTradeQuery = { seed: ctx.seed, symbol, listedAtMs, holes, nowMs, limit: 0 };
  const send = (openMs: number, closed: boolean): void => {
    if (openMs < firstOpen || holeAt(holes, openMs) !== undefined) return;
    series.fill(values, openMs, nowMs);
    const first = liveCountsBefore(trades, openMs).trades;
    const last = liveCountsBefore(trades, Math.min(values.closeMs, nowMs) + 1).trades - 1;
    const [f, l] = last >= first ? [first, last] : [-1, -1];
    topic.publish(klineEvent(symbol, interval, nowMs, values, f, l, closed));
  };
  for (let open = floorOpen(interval, fromMs); closeTimeOf(interval, open) <= nowMs; open = nextOpen(interval, open)) {
    if (closeTimeOf(interval, open) > fromMs) send(open, true);
  }
  const second = Math.floor(nowMs / SECOND_MS);
  if (second > topic.lastUpdateSecond) {
    topic.lastUpdateSecond = second;
    const open = floorOpen(interval, nowMs);
    if (closeTimeOf(interval, open) > nowMs) send(open, false);
  }
}
