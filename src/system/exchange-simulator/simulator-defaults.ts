import type { RateLimitRule } from './rate-limiter.ts';

/** Seed used when none is given, by the simulator and by the `expected…` oracles alike. */
export const DEFAULT_SEED = 1;

/** 2017-01-01T00:00:00Z: when symbols are listed unless told otherwise. */
export const DEFAULT_LISTED_AT_MS = Date.UTC(2017, 0, 1);

export const DEFAULT_SYMBOLS: Readonly<Record<string, { listedAtMs?: number }>> = {
  BTCUSDT: {},
  ETHUSDT: {},
  PEPEUSDT: {},
};

/** Binance spot's published limits. */
export const DEFAULT_RATE_LIMITS: readonly RateLimitRule[] = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
  { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
  { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
];

/** Requests arriving this soon after a 429 were in flight when it was sent: not a ban-worthy retry. */
export const DEFAULT_BAN_GRACE_MS = 100;
