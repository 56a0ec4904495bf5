/** Kline intervals Binance accepts, case-sensitive, with their fixed length where they have one. */
export const FIXED_INTERVAL_MS = {
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
} as const;

export type KlineInterval = keyof typeof FIXED_INTERVAL_MS | '1M';

export const KLINE_INTERVALS: readonly KlineInterval[] = [
  ...(Object.keys(FIXED_INTERVAL_MS) as Array<keyof typeof FIXED_INTERVAL_MS>),
  '1M',
];

/** 1970-01-01 was a Thursday; weekly klines open on Mondays, the first at 1970-01-05 00:00 UTC. */
const WEEK_ORIGIN_MS = 4 * 86_400_000;

export function isKlineInterval(value: string): value is KlineInterval {
  return value === '1M' || Object.hasOwn(FIXED_INTERVAL_MS, value);
}

/** Open time of the kline that contains `timeMs`. */
export function floorOpen(interval: KlineInterval, timeMs: number): number {
  if (interval === '1M') {
    const date = new Date(timeMs);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  const length = FIXED_INTERVAL_MS[interval];
  const origin = interval === '1w' ? WEEK_ORIGIN_MS : 0;
  return Math.floor((timeMs - origin) / length) * length + origin;
}

/** Open time of the kline after the one opening at `openMs`. */
export function nextOpen(interval: KlineInterval, openMs: number): number {
  if (interval === '1M') {
    const date = new Date(openMs);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return openMs + FIXED_INTERVAL_MS[interval];
}

/** Open time of the kline before the one opening at `openMs`. */
export function previousOpen(interval: KlineInterval, openMs: number): number {
  if (interval === '1M') {
    const date = new Date(openMs);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1);
  }
  return openMs - FIXED_INTERVAL_MS[interval];
}

/** Smallest open time >= `timeMs`. */
export function ceilOpen(interval: KlineInterval, timeMs: number): number {
  const open = floorOpen(interval, timeMs);
  return open === timeMs ? open : nextOpen(interval, open);
}

/** Binance's closeTime: one millisecond before the next open. */
export function closeTimeOf(interval: KlineInterval, openMs: number): number {
  return nextOpen(interval, openMs) - 1;
}
