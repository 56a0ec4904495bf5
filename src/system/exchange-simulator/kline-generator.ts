import { formatAmount8 } from './decimal-format.ts';
import { hashKey, hashString, mix32, unitFromHash } from './hash.ts';
import { closeTimeOf } from './intervals.ts';
import type { KlineInterval } from './intervals.ts';
import { pricePath } from './price-path.ts';
import type { PricePath } from './price-path.ts';
import { symbolProfile } from './symbol-profile.ts';

/**
 * One kline exactly as Binance's REST body carries it: [openTime, open, high, low, close, volume,
 * closeTime, quoteAssetVolume, numberOfTrades, takerBuyBaseVolume, takerBuyQuoteVolume, ignore].
 */
export type KlineRow = [
  openTime: number,
  open: string,
  high: string,
  low: string,
  close: string,
  volume: string,
  closeTime: number,
  quoteAssetVolume: string,
  numberOfTrades: number,
  takerBuyBaseVolume: string,
  takerBuyQuoteVolume: string,
  ignore: string,
];

/**
 * The numbers behind one kline, in 1e-8 units. Volumes are bigints where they could exceed
 * float64 precision. Mutable so that the serving path can reuse one instance per response.
 */
export interface KlineValues {
  openMs: number;
  closeMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | bigint;
  quoteVolume: number | bigint;
  takerBaseVolume: number | bigint;
  takerQuoteVolume: number | bigint;
  trades: number;
}

export function emptyKlineValues(): KlineValues {
  return {
    openMs: 0,
    closeMs: 0,
    open: 0,
    high: 0,
    low: 0,
    close: 0,
    volume: 0,
    quoteVolume: 0,
    takerBaseVolume: 0,
    takerQuoteVolume: 0,
    trades: 0,
  };
}

/** Generates the klines of one (seed, symbol, interval). */
export interface KlineSeries {
  /** Fills `target` with the kline opening at `openMs` (aligned); the one containing `nowMs` is partial. */
  fill(target: KlineValues, openMs: number, nowMs: number): void;
  /** The same kline as a REST row. */
  at(openMs: number, nowMs: number): KlineRow;
}

const MINUTE_MS = 60_000;
const UNITS_PER_WHOLE = 100_000_000;
const BIG_UNITS_PER_WHOLE = 100_000_000n;
const BIG_MINUTE_MS = 60_000n;
/** Longest span of an interval (a 31-day month), to size volumes before choosing number or bigint. */
const MAX_MONTH_MS = 31 * 86_400_000;
/** The price path stays within e^±0.36 of the base price; ×3 covers it and the kline's swing. */
const PRICE_HEADROOM = 3;

/** Sets the four volumes of `v` (whose prices are set) for a kline of `spanMs`, `elapsedMs` of it elapsed. */
type VolumeFiller = (v: KlineValues, spanMs: number, elapsedMs: number) => void;

const seriesCache = new Map<string, KlineSeries>();

/** The (cached) generator of (seed, symbol, interval). */
export function klineSeries(seed: number, symbol: string, interval: KlineInterval): KlineSeries {
  const cacheKey = `${seed}|${symbol}|${interval}`;
  let found = seriesCache.get(cacheKey);
  if (found === undefined) {
    found = buildSeries(seed, symbol, interval);
    seriesCache.set(cacheKey, found);
  }
  return found;
}

/**
 * The kline opening at `openMs` (which must be aligned to the interval): a pure function of
 * (seed, symbol, interval, openMs), except that the kline containing `nowMs` is still open and
 * carries partial values up to `nowMs`.
 */
export function generateKline(
  seed: number,
  symbol: string,
  interval: KlineInterval,
  openMs: number,
  nowMs: number,
): KlineRow {
  return klineSeries(seed, symbol, interval).at(openMs, nowMs);
}

/** A kline's values as Binance's 12-column row. */
export function toKlineRow(v: KlineValues): KlineRow {
  return [
    v.openMs,
    formatAmount8(v.open),
    formatAmount8(v.high),
    formatAmount8(v.low),
    formatAmount8(v.close),
    formatAmount8(v.volume),
    v.closeMs,
    formatAmount8(v.quoteVolume),
    v.trades,
    formatAmount8(v.takerBaseVolume),
    formatAmount8(v.takerQuoteVolume),
    '0',
  ];
}

function buildSeries(seed: number, symbol: string, interval: KlineInterval): KlineSeries {
  const profile = symbolProfile(symbol);
  const key = mix32(mix32(seed ^ hashString(symbol)) ^ hashString(interval));
  const path = pricePath(seed, symbol);
  const longestSpanMs = interval === '1M' ? MAX_MONTH_MS : closeTimeOf(interval, 0) + 1;
  // Number arithmetic only where every value printed stays a safe integer of units (IEEE-754
  // products are correctly rounded, so the float steps in between are still deterministic).
  const largestVolume = (profile.volumeUnitsPerMinute * BigInt(longestSpanMs) * 3n) / BigInt(2 * MINUTE_MS);
  const largestQuote = largestVolume * BigInt(Math.ceil(profile.basePrice * PRICE_HEADROOM));
  const fillVolumes =
    largestQuote < BigInt(Number.MAX_SAFE_INTEGER)
      ? numberVolumes(key, Number(profile.volumeUnitsPerMinute))
      : bigintVolumes(key, profile.volumeUnitsPerMinute);
  const fill = (v: KlineValues, openMs: number, nowMs: number): void =>
    fillKline(v, key, path, interval, fillVolumes, profile.tradesPerMinute, openMs, nowMs);
  return {
    fill,
    at(openMs, nowMs) {
      const v = emptyKlineValues();
      fill(v, openMs, nowMs);
      return toKlineRow(v);
    },
  };
}

function fillKline(
  v: KlineValues,
  key: number,
  path: PricePath,
  interval: KlineInterval,
  fillVolumes: VolumeFiller,
  tradesPerMinute: number,
  openMs: number,
  nowMs: number,
): void {
  const closeMs = closeTimeOf(interval, openMs);
  const spanMs = closeMs + 1 - openMs;
  const elapsedMs = nowMs >= closeMs ? spanMs : Math.max(1, nowMs - openMs + 1);
  const fraction = elapsedMs / spanMs;

  const open = path.unitsAt(openMs);
  const close = path.unitsAt(openMs + elapsedMs);
  const swing = Math.min(0.3, 0.0015 * Math.sqrt(spanMs / MINUTE_MS)) * fraction;
  const top = Math.max(open, close);
  const bottom = Math.min(open, close);
  const tick = path.tickUnits;
  const lowDrop = Math.round((bottom * swing * unitFromHash(hashKey(key, openMs, 2))) / tick) * tick;
  v.openMs = openMs;
  v.closeMs = closeMs;
  v.open = open;
  v.close = close;
  v.high = top + Math.round((top * swing * unitFromHash(hashKey(key, openMs, 1))) / tick) * tick;
  v.low = Math.max(Math.min(tick, bottom), bottom - lowDrop);
  fillVolumes(v, spanMs, elapsedMs);
  const meanTrades = tradesPerMinute * (spanMs / MINUTE_MS);
  const trades = Math.round(meanTrades * (0.5 + unitFromHash(hashKey(key, openMs, 7))) * fraction);
  v.trades = v.volume > 0 ? Math.max(1, trades) : 0;
}

function averagePrice(v: KlineValues): number {
  return Math.round((v.open + v.high + v.low + v.close) / 4);
}

/** Volumes that fit safe integers (the caller checked): plain number arithmetic, the fast path. */
function numberVolumes(key: number, unitsPerMinute: number): VolumeFiller {
  return (v, spanMs, elapsedMs) => {
    const u = unitFromHash(hashKey(key, v.openMs, 3)) + unitFromHash(hashKey(key, v.openMs, 4)) / 4_294_967_296;
    const full = Math.floor(((unitsPerMinute * spanMs) / MINUTE_MS) * (0.5 + u));
    const volume = elapsedMs >= spanMs ? full : Math.floor((full * elapsedMs) / spanMs);
    const quote = Math.round((volume * averagePrice(v)) / UNITS_PER_WHOLE);
    const takerPermille = 300 + (hashKey(key, v.openMs, 6) % 400);
    v.volume = volume;
    v.quoteVolume = quote;
    v.takerBaseVolume = Math.floor((volume * takerPermille) / 1000);
    v.takerQuoteVolume = Math.floor((quote * takerPermille) / 1000);
  };
}

/**
 * Volumes beyond float64 precision (meme coins, long intervals): uniform in [0.5, 1.5) × the mean,
 * computed with bigint arithmetic from 53 hash bits, so every printed digit is exact.
 */
function bigintVolumes(key: number, unitsPerMinute: bigint): VolumeFiller {
  let lastSpanMs = 0;
  let mean = 0n;
  let half = 0n;
  return (v, spanMs, elapsedMs) => {
    if (spanMs !== lastSpanMs) {
      lastSpanMs = spanMs;
      mean = (unitsPerMinute * BigInt(spanMs)) / BIG_MINUTE_MS;
      half = mean / 2n;
    }
    const random53 = (hashKey(key, v.openMs, 3) >>> 11) * 4_294_967_296 + hashKey(key, v.openMs, 4);
    const full = half + ((mean * BigInt(random53)) >> 53n);
    const volume = elapsedMs >= spanMs ? full : (full * BigInt(elapsedMs)) / BigInt(spanMs);
    const quote = (volume * BigInt(averagePrice(v))) / BIG_UNITS_PER_WHOLE;
    const takerPermille = BigInt(300 + (hashKey(key, v.openMs, 6) % 400));
    v.volume = volume;
    v.quoteVolume = quote;
    v.takerBaseVolume = (volume * takerPermille) / 1000n;
    v.takerQuoteVolume = (quote * takerPermille) / 1000n;
  };
}
