import { formatBigUnits8, formatUnits8 } from './decimal-format.ts';
import { hashString } from './hash.ts';
import { pricePath } from './price-path.ts';
import type { PricePath } from './price-path.ts';
import { createPrng } from './prng.ts';
import type { Prng } from './prng.ts';
import { symbolProfile } from './symbol-profile.ts';

/** `[price, quantity]` as Binance prints them; quantity "0.00000000" removes the level. */
export type Level = [price: string, qty: string];

/** A book (or its top) at one update id: bids descending, asks ascending. */
export interface BookLevels {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
}

/** One change batch: one `depthUpdate` event, update ids firstId..lastId. */
export interface DepthBatch {
  readonly timeMs: number;
  readonly firstId: number;
  readonly lastId: number;
  readonly bids: Level[];
  readonly asks: Level[];
}

interface Change {
  readonly bid: boolean;
  readonly price: number;
  /** undefined removes the level. */
  readonly qty: string | undefined;
}

const ZERO_QTY = '0.00000000';
const MIN_LEVELS = 40;
const MAX_LEVELS = 250;
/** Levels sit on a grid this fraction of the price apart (at least one tick). */
const LEVEL_SPACING = 0.00002;
/** The best level is re-created near the price when the price has moved this many levels away. */
const TOP_DRIFT_LEVELS = 3;
const NEAR_TOP_LEVELS = 30;

/**
 * A symbol's order book: deterministic from (seed, symbol) and the price path, evolving by small
 * change batches with consecutive update ids. The next batch is drawn one step ahead: the exchange's
 * engine is already inside it when a REST snapshot is taken, so a snapshot's lastUpdateId falls
 * strictly inside the next event's [U, u] (as on Binance, where the stream lags the engine).
 */
export class OrderBook {
  readonly symbol: string;
  readonly #bids = new Map<number, string>();
  readonly #asks = new Map<number, string>();
  readonly #rand: Prng;
  readonly #path: PricePath;
  readonly #spacing: number;
  readonly #meanQty: bigint;
  #lastUpdateId: number;
  #pending: Change[] = [];
  /** How many pending changes the engine (and a REST snapshot) has already applied: 1..n-1. */
  #enginePrefix = 1;

  constructor(seed: number, symbol: string, nowMs: number) {
    this.symbol = symbol;
    this.#rand = createPrng(hashString(`depth|${seed}|${symbol}`));
    this.#path = pricePath(seed, symbol);
    const tick = this.#path.tickUnits;
    this.#spacing = tick * Math.max(1, Math.round((this.#path.unitsAt(nowMs) * LEVEL_SPACING) / tick));
    this.#meanQty = symbolProfile(symbol).volumeUnitsPerMinute / 50n;
    this.#lastUpdateId = 1_000_000_000 + Math.floor(this.#rand() * 1_000_000_000);
    this.#fill(nowMs);
    this.#prepare(nowMs);
  }

  get lastUpdateId(): number {
    return this.#lastUpdateId;
  }

  /** Applies the pending batch (as of `timeMs`), returns it, and draws the next one around the price then. */
  step(timeMs: number): DepthBatch {
    const batch: DepthBatch = {
      timeMs,
      firstId: this.#lastUpdateId + 1,
      lastId: this.#lastUpdateId + this.#pending.length,
      bids: [],
      asks: [],
    };
    for (const change of this.#pending) {
      applyChange(change.bid ? this.#bids : this.#asks, change);
      (change.bid ? batch.bids : batch.asks).push([formatUnits8(change.price), change.qty ?? ZERO_QTY]);
    }
    this.#lastUpdateId = batch.lastId;
    this.#prepare(timeMs);
    return batch;
  }

  /** The whole book as of the last batch: what a client that applied every event holds. */
  levels(): BookLevels {
    return toLevels(this.#lastUpdateId, this.#bids, this.#asks, Number.POSITIVE_INFINITY);
  }

  /** The engine's current book (part of the next batch applied), its top `limit` levels per side. */
  snapshot(limit: number): BookLevels {
    const bids = new Map(this.#bids);
    const asks = new Map(this.#asks);
    for (const change of this.#pending.slice(0, this.#enginePrefix)) applyChange(change.bid ? bids : asks, change);
    return toLevels(this.#lastUpdateId + this.#enginePrefix, bids, asks, limit);
  }

  #mid(timeMs: number): number {
    return Math.round(this.#path.unitsAt(timeMs) / this.#spacing) * this.#spacing;
  }

  #qty(): string {
    return formatBigUnits8((this.#meanQty * BigInt(1 + Math.floor(this.#rand() * 3000))) / 1000n + 1n);
  }

  #fill(nowMs: number): void {
    const mid = this.#mid(nowMs);
    for (const [side, sign] of [
      [this.#bids, -1],
      [this.#asks, 1],
    ] as const) {
      const levels = 50 + Math.floor(this.#rand() * 151);
      for (let k = 1, placed = 0; placed < levels && k < 10 * levels; k++) {
        const price = mid + sign * k * this.#spacing;
        if (price <= 0) break;
        if (this.#rand() < 0.8) {
          side.set(price, this.#qty());
          placed++;
        }
      }
    }
  }

  /** Draws the next batch (at least two changes) against the current book, around the price at `timeMs`. */
  #prepare(timeMs: number): void {
    const mid = this.#mid(timeMs);
    const batch = new Map<number, Change>();
    const put = (change: Change): void => {
      const key = change.bid ? change.price : -change.price;
      if (!batch.has(key)) batch.set(key, change);
    };
    for (const price of this.#bids.keys()) if (price >= mid) put({ bid: true, price, qty: undefined });
    for (const price of this.#asks.keys()) if (price <= mid) put({ bid: false, price, qty: undefined });
    this.#followTop(true, mid, put);
    this.#followTop(false, mid, put);
    const ops = 2 + Math.floor(this.#rand() * 3);
    for (let i = 0; i < 20 && (i < ops || batch.size < 2); i++) this.#randomChange(this.#rand() < 0.5, mid, put);
    // A snapshot must fall strictly inside a batch, so a batch needs two changes whatever happened above.
    for (let k = 1; batch.size < 2; k++) put({ bid: k % 2 === 0, price: mid + (k % 2 === 0 ? -k : k) * this.#spacing, qty: this.#qty() });
    this.#pending = [...batch.values()];
    this.#enginePrefix = 1 + Math.floor(this.#rand() * (this.#pending.length - 1));
  }

  #followTop(bid: boolean, mid: number, put: (change: Change) => void): void {
    const side = bid ? this.#bids : this.#asks;
    let best = bid ? 0 : Number.POSITIVE_INFINITY;
    for (const price of side.keys()) {
      if (bid ? price < mid && price > best : price > mid && price < best) best = price;
    }
    if (Math.abs(best - mid) > TOP_DRIFT_LEVELS * this.#spacing) {
      const price = bid ? mid - this.#spacing : mid + this.#spacing;
      if (price > 0) put({ bid, price, qty: this.#qty() });
    }
  }

  #randomChange(bid: boolean, mid: number, put: (change: Change) => void): void {
    const side = bid ? this.#bids : this.#asks;
    const sorted = [...side.keys()].sort(bid ? (x, y) => y - x : (x, y) => x - y);
    const r = this.#rand();
    if (sorted.length > MAX_LEVELS || (sorted.length > MIN_LEVELS && r >= 0.75)) {
      const far = sorted.length > MAX_LEVELS;
      const price = far ? sorted.at(-1) : sorted[Math.floor(this.#rand() * sorted.length)];
      if (price !== undefined) put({ bid, price, qty: undefined });
      return;
    }
    if (sorted.length < MIN_LEVELS || r >= 0.5) {
      const price = mid + (bid ? -1 : 1) * (1 + Math.floor(this.#rand() * NEAR_TOP_LEVELS)) * this.#spacing;
      if (price > 0) put({ bid, price, qty: this.#qty() });
      return;
    }
    const price = sorted[Math.floor(this.#rand() * Math.min(20, sorted.length))];
    if (price !== undefined) put({ bid, price, qty: this.#qty() });
  }
}

function applyChange(side: Map<number, string>, change: Change): void {
  if (change.qty === undefined) side.delete(change.price);
  else side.set(change.price, change.qty);
}

function toLevels(lastUpdateId: number, bids: Map<number, string>, asks: Map<number, string>, limit: number): BookLevels {
  return { lastUpdateId, bids: sortedLevels(bids, true, limit), asks: sortedLevels(asks, false, limit) };
}

function sortedLevels(side: Map<number, string>, descending: boolean, limit: number): Level[] {
  const prices = [...side.keys()].sort(descending ? (x, y) => y - x : (x, y) => x - y);
  return prices.slice(0, limit).map((price) => [formatUnits8(price), side.get(price) ?? ZERO_QTY]);
}
