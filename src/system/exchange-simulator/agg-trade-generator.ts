import { formatBigUnits8, formatUnits8 } from './decimal-format.ts';
import { hashKey, hashString, mix32 } from './hash.ts';
import { pricePath } from './price-path.ts';
import type { PricePath } from './price-path.ts';
import { symbolProfile } from './symbol-profile.ts';

/** One aggregate trade as Binance's REST body carries it. */
export interface AggTradeRow {
  /** Aggregate trade id. */
  a: number;
  p: string;
  q: string;
  /** First and last trade id. */
  f: number;
  l: number;
  T: number;
  /** Was the buyer the maker? */
  m: boolean;
  M: boolean;
}

/**
 * The raw stream has a fixed shape per 1-second bucket (3 aggregate trades covering 6 trades, at
 * hashed offsets, sometimes sharing a millisecond), so ids can be computed by counting rather than
 * by replaying the whole history since listing.
 */
export const BUCKET_MS = 1000;
export const AGGS_PER_BUCKET = 3;
export const TRADES_PER_BUCKET = 6;

/** A generated aggregate trade before ids are assigned. */
export interface RawAggTrade {
  readonly timeMs: number;
  readonly tradeCount: number;
  readonly priceUnits: number;
  readonly qtyUnits: bigint;
  readonly buyerIsMaker: boolean;
}

/** Per (seed, symbol) generator of the raw trade stream. */
export interface TradeStream {
  bucket(index: number): readonly RawAggTrade[];
  format(raw: RawAggTrade, aggId: number, firstTradeId: number): AggTradeRow;
}

const streams = new Map<string, TradeStream>();

export function tradeStream(seed: number, symbol: string): TradeStream {
  const cacheKey = `${seed}|${symbol}`;
  let stream = streams.get(cacheKey);
  if (stream === undefined) {
    stream = buildStream(seed, symbol);
    streams.set(cacheKey, stream);
  }
  return stream;
}

function buildStream(seed: number, symbol: string): TradeStream {
  const key = mix32(mix32(seed ^ hashString(symbol)) ^ 0x7472_6164);
  const path = pricePath(seed, symbol);
  const meanQty = symbolProfile(symbol).volumeUnitsPerMinute / BigInt((60_000 / BUCKET_MS) * AGGS_PER_BUCKET);
  return {
    bucket: (index) => generateBucket(key, path, meanQty, index),
    format: (raw, aggId, firstTradeId) => ({
      a: aggId,
      p: formatUnits8(raw.priceUnits),
      q: formatBigUnits8(raw.qtyUnits),
      f: firstTradeId,
      l: firstTradeId + raw.tradeCount - 1,
      T: raw.timeMs,
      m: raw.buyerIsMaker,
      M: true,
    }),
  };
}

function generateBucket(key: number, path: PricePath, meanQty: bigint, index: number): RawAggTrade[] {
  const startMs = index * BUCKET_MS;
  const h0 = hashKey(key, startMs, 11);
  const h1 = hashKey(key, startMs, 12);
  const offsets = [h0 % 1024 % BUCKET_MS, (h0 >>> 10) % 1024 % BUCKET_MS, (h0 >>> 20) % 1024 % BUCKET_MS].sort(
    (x, y) => x - y,
  );
  // One bucket in eight has trades sharing a millisecond: the case that breaks paging by time.
  if ((h1 & 7) === 0) offsets[1] = offsets[0] ?? 0;
  if (((h1 >>> 3) & 7) === 0) offsets[2] = offsets[1] ?? 0;
  const first = 1 + ((h1 >>> 6) % 3);
  const second = 1 + ((h1 >>> 8) % 2);
  const counts = [first, second, TRADES_PER_BUCKET - first - second];
  const trades: RawAggTrade[] = [];
  for (let j = 0; j < AGGS_PER_BUCKET; j++) {
    const timeMs = startMs + (offsets[j] ?? 0);
    const h = hashKey(key, startMs, 20 + j);
    const jitterTicks = (h % 3) - 1;
    trades.push({
      timeMs,
      tradeCount: counts[j] ?? 1,
      priceUnits: Math.max(path.tickUnits, path.unitsAt(timeMs) + jitterTicks * path.tickUnits),
      qtyUnits: (meanQty * BigInt(1 + ((h >>> 2) % 2_000_000))) / 1_000_000n + 1n,
      buyerIsMaker: ((h1 >>> (10 + j)) & 1) === 1,
    });
  }
  return trades;
}

/** Aggregate trades and trades of the raw (hole-free) stream with a time in [fromMs, toMs). */
export function countRawTrades(stream: TradeStream, fromMs: number, toMs: number): { aggs: number; trades: number } {
  if (toMs <= fromMs) return { aggs: 0, trades: 0 };
  const firstBucket = Math.floor(fromMs / BUCKET_MS);
  const lastBucket = Math.floor((toMs - 1) / BUCKET_MS);
  const total = { aggs: 0, trades: 0 };
  const addFrom = (index: number): void => {
    for (const raw of stream.bucket(index)) {
      if (raw.timeMs >= fromMs && raw.timeMs < toMs) {
        total.aggs += 1;
        total.trades += raw.tradeCount;
      }
    }
  };
  addFrom(firstBucket);
  if (lastBucket > firstBucket) {
    const fullBuckets = lastBucket - firstBucket - 1;
    total.aggs += fullBuckets * AGGS_PER_BUCKET;
    total.trades += fullBuckets * TRADES_PER_BUCKET;
    addFrom(lastBucket);
  }
  return total;
}
