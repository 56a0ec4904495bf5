import { z } from 'zod';

/** Every kline interval Binance serves, with its length in milliseconds (1M: a calendar month). */
export const INTERVAL_MS = {
  '1s': 1_000,
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '3d': 259_200_000,
  '1w': 604_800_000,
  '1M': 2_592_000_000,
} as const;

export const INTERVALS = Object.keys(INTERVAL_MS) as Array<keyof typeof INTERVAL_MS>;

export const Interval = z.enum(INTERVALS, {
  error: (issue) => `unknown interval ${JSON.stringify(issue.input)}; accepted: ${INTERVALS.join(' ')}`,
});
export type Interval = z.infer<typeof Interval>;

/** Approximate number of intervals in a range, for progress and ETA only. */
export function approximateIntervalCount(interval: Interval, fromMs: number, toMs: number): number {
  return Math.max(0, Math.ceil((toMs - fromMs) / INTERVAL_MS[interval]));
}
