import type { KlineRow } from '../../protocol/index.ts';

/**
 * How far behind the estimated exchange clock a candle must have closed to count as final when no
 * later candle proves it: the server-clock offset is measured once, over a round trip.
 */
export const CANDLE_CLOSE_MARGIN_MS = 1_000;

/**
 * Every candle closing before this instant is certainly closed on the exchange: a later row of the
 * same page proves it, or it closed more than {@link CANDLE_CLOSE_MARGIN_MS} before `now` (or before
 * `provenAt`, the open time of a later candle known from elsewhere). Only a page's last row can fail it.
 */
export function settledBefore(rows: readonly KlineRow[], now: number, provenAt = Number.NEGATIVE_INFINITY): number {
  return Math.max(now - CANDLE_CLOSE_MARGIN_MS, rows.at(-1)?.[0] ?? Number.NEGATIVE_INFINITY, provenAt);
}
