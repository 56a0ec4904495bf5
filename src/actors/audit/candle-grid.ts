import { INTERVAL_MS } from '../../protocol/index.ts';
import type { Interval } from '../../protocol/index.ts';

/** 1970-01-01 was a Thursday; Binance's weekly candles open on Mondays, the first at 1970-01-05 00:00 UTC. */
const WEEK_ORIGIN_MS = 4 * 86_400_000;

/**
 * The open times Binance's candles of one interval can have: multiples of the interval from the
 * epoch, weeks from a Monday, months on the first of each calendar month (UTC).
 */
export const CandleGrid = {
  /** Open time of the candle that contains `timeMs`. */
  floor(interval: Interval, timeMs: number): number {
    if (interval === '1M') {
      const d = new Date(timeMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    const length = INTERVAL_MS[interval];
    const origin = interval === '1w' ? WEEK_ORIGIN_MS : 0;
    return Math.floor((timeMs - origin) / length) * length + origin;
  },

  /** The first open time at or after `timeMs`. */
  ceil(interval: Interval, timeMs: number): number {
    const open = CandleGrid.floor(interval, timeMs);
    return open === timeMs ? open : CandleGrid.next(interval, open);
  },

  /** The open time after `openMs`. */
  next(interval: Interval, openMs: number): number {
    if (interval === '1M') {
      const d = new Date(openMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    return openMs + INTERVAL_MS[interval];
  },
} as const;
