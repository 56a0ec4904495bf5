import { formatBigUnits8, formatUnits8 } from './decimal-format.ts';
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

/** Generates the klines of one (seed, symbol, interval). */
export interface KlineSeries {
  /** The kline opening at `openMs` (aligned); the one containing `nowMs` is partial. */
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

/** Volumes of one kline, already formatted. */
interface Volumes {
  readonly volume: string;
  readonly quote: string;
  readonly takerBase: string;
  readonly takerQuote: string;
  readonly positive: boolean;
}

type VolumeMaker = (openMs: number, spanMs: number, elapsedMs: number, averagePriceUnits: number) => Volumes;

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

function buildSeries(seed: number, symbol: string, interval: KlineInterval): KlineSeries {
  const profile = symbolProfile(symbol);
  const key = mix32(mix32(seed ^ hashString(symbol)) ^ hashString(interval));
  const path = pricePath(seed, symbol);
  const longestSpanMs = interval === '1M' ? MAX_MONTH_MS : closeTimeOf(interval, 0) + 1;
  // Number arithmetic only where every value printed stays a safe integer of units (IEEE-754
  // products are correctly rounded, so the float steps in between are still deterministic).
  const largestVolume = (profile.volumeUnitsPerMinute * BigInt(longestSpanMs) * 3n) / BigInt(2 * MINUTE_MS);
  const largestQuote = largestVolume * BigInt(Math.ceil(profile.basePrice * PRICE_HEADROOM));
  const makeVolumes =
    largestQuote < BigInt(Number.MAX_SAFE_INTEGER)
      ? numberVolumes(key, Number(profile.volumeUnitsPerMinute))
      : bigintVolumes(key, profile.volumeUnitsPerMinute);
  return {
    at: (openMs, nowMs) => kline(key, path, interval, makeVolumes, profile.tradesPerMinute, openMs, nowMs),
  };
}

function kline(
  key: number,
  path: PricePath,
  interval: KlineInterval,
  makeVolumes: VolumeMaker,
  tradesPerMinute: number,
  openMs: number,
  nowMs: number,
): KlineRow {
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
  const high = top + Math.round((top * swing * unitFromHash(hashKey(key, openMs, 1))) / tick) * tick;
  const lowDrop = Math.round((bottom * swing * unitFromHash(hashKey(key, openMs, 2))) / tick) * tick;
  const low = Math.max(Math.min(tick, bottom), bottom - lowDrop);

  const volumes = makeVolumes(openMs, spanMs, elapsedMs, Math.round((open + high + low + close) / 4));
  const meanTrades = tradesPerMinute * (spanMs / MINUTE_MS);
  const trades = Math.round(meanTrades * (0.5 + unitFromHash(hashKey(key, openMs, 7))) * fraction);
  return [
    openMs,
    formatUnits8(open),
    formatUnits8(high),
    formatUnits8(low),
    formatUnits8(close),
    volumes.volume,
    closeMs,
    volumes.quote,
    volumes.positive ? Math.max(1, trades) : 0,
    volumes.takerBase,
    volumes.takerQuote,
    '0',
  ];
}

/** Volumes that fit safe integers (the caller checked): plain number arithmetic, the fast path. */
function numberVolumes(key: number, unitsPerMinute: number): VolumeMaker {
  return (openMs, spanMs, elapsedMs, averagePriceUnits) => {
    const u = unitFromHash(hashKey(key, openMs, 3)) + unitFromHash(hashKey(key, openMs, 4)) / 4_294_967_296;
    const full = Math.floor(((unitsPerMinute * spanMs) / MINUTE_MS) * (0.5 + u));
    const volume = elapsedMs >= spanMs ? full : Math.floor((full * elapsedMs) / spanMs);
    const quote = Math.round((volume * averagePriceUnits) / UNITS_PER_WHOLE);
    const takerPermille = 300 + (hashKey(key, openMs, 6) % 400);
    return {
      volume: formatUnits8(volume),
      quote: formatUnits8(quote),
      takerBase: formatUnits8(Math.floor((volume * takerPermille) / 1000)),
      takerQuote: formatUnits8(Math.floor((quote * takerPermille) / 1000)),
      positive: volume > 0,
    };
  };
}

/**
 * Volumes beyond float64 precision (meme coins, long intervals): uniform in [0.5, 1.5) × the mean,
 * computed with bigint arithmetic from 53 hash bits, so every printed digit is exact.
 */
function bigintVolumes(key: number, unitsPerMinute: bigint): VolumeMaker {
  let lastSpanMs = 0;
  let mean = 0n;
  let half = 0n;
  return (openMs, spanMs, elapsedMs, averagePriceUnits) => {
    if (spanMs !== lastSpanMs) {
      lastSpanMs = spanMs;
      mean = (unitsPerMinute * BigInt(spanMs)) / BIG_MINUTE_MS;
      half = mean / 2n;
    }
    const random53 = (hashKey(key, openMs, 3) >>> 11) * 4_294_967_296 + hashKey(key, openMs, 4);
    const full = half + ((mean * BigInt(random53)) >> 53n);
    const volume = elapsedMs >= spanMs ? full : (full * BigInt(elapsedMs)) / BigInt(spanMs);
    const quote = (volume * BigInt(averagePriceUnits)) / BIG_UNITS_PER_WHOLE;
    const takerPermille = BigInt(300 + (hashKey(key, openMs, 6) % 400));
    return {
      volume: formatBigUnits8(volume),
      quote: formatBigUnits8(quote),
      takerBase: formatBigUnits8((volume * takerPermille) / 1000n),
      takerQuote: formatBigUnits8((quote * takerPermille) / 1000n),
      positive: volume > 0n,
    };
  };
}
