import { INTERVAL_MS } from '../../protocol/index.ts';
import type { Interval } from '../../protocol/index.ts';

const DAY_MS = 86_400_000;

/**
 * Where to start reading so that `candles` candles of `interval` open before `fromMs` (fewer where
 * the store has fewer): a calendar month counts as 31 days, so a monthly read takes a candle more
 * rather than one too few.
 */
export function warmupStart(interval: Interval, fromMs: number, candles: number): number {
  const longest = interval === '1M' ? 31 * DAY_MS : INTERVAL_MS[interval];
  return Math.max(0, fromMs - candles * longest);
}
