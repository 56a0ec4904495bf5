import { ValidationError } from '../../protocol/index.ts';
import type { DepthSnapshotBody, PriceLevel } from '../../protocol/index.ts';
import { comparePriceKeys } from './book-price.ts';
import { BookSide } from './book-side.ts';

/** What a book needs of a diff event (`U`, `u`, `b`, `a`); a stored `DepthUpdate` is one. */
export interface BookDiff {
  readonly first_update_id: number;
  readonly final_update_id: number;
  readonly bids: readonly PriceLevel[];
  readonly asks: readonly PriceLevel[];
}

/**
 * - `applied`: the book moved to the event's final update id;
 * - `buffered`: not synced yet, kept for when a snapshot arrives;
 * - `stale`: already in the book (or in the buffer): a duplicate, e.g. from overlapping connections;
 * - `gap`: events were missed; the book was discarded and this event buffered: fetch a snapshot.
 */
export type BookEventResult = 'applied' | 'buffered' | 'stale' | 'gap';

/**
 * - `synced`: the book is the snapshot plus every buffered event after it;
 * - `need_newer_snapshot`: the snapshot is older than the buffered events (or falls into a hole among
 *   them): fetch another;
 * - `need_events`: nothing buffered yet to check the snapshot against: fetch once an event arrived;
 * - `already_synced`: the book is in sync; the snapshot was not used.
 */
export type BookSnapshotResult = 'synced' | 'need_newer_snapshot' | 'need_events' | 'already_synced';

/** A sequence gap: the next event should have started at `expected` but started at `got`. */
export interface BookGap {
  readonly expected: number;
  readonly got: number;
}

/** A book's levels at one update id, best first. */
export interface BookLevels {
  readonly lastUpdateId: number;
  readonly bids: PriceLevel[];
  readonly asks: PriceLevel[];
}

/** What observers of a book may read. */
export interface OrderBookView {
  readonly synced: boolean;
  readonly lastUpdateId: number | undefined;
  top(n: number): BookLevels | undefined;
  full(): BookLevels | undefined;
  isCrossed(): boolean;
}

export interface OrderBookOptions {
  /** Most events kept while not synced; past it the oldest go (the next snapshot must then be newer). @defaultValue 10000 */
  readonly maxBuffered?: number;
}

/**
 * A local order book kept by Binance's rules: diff events are buffered until a REST snapshot at
 * least as new as the first of them arrives; events the snapshot already covers are dropped; the
 * first applied event spans `lastUpdateId + 1`; then every event must start right after the last one
 * applied, or the book is discarded and rebuilt from a new snapshot. Prices stay exact decimal strings.
 * Pure: no I/O and no clock, so the loader decides when to fetch.
 */
export class OrderBook implements OrderBookView {
  readonly #bids = new BookSide('bids');
  readonly #asks = new BookSide('asks');
  readonly #maxBuffered: number;
  /** Events waiting for a snapshot, ordered by update id (overlapping connections may deliver out of order). */
  #buffer: BookDiff[] = [];
  #lastUpdateId: number | undefined;
  #lastGap: BookGap | undefined;

  constructor(options: OrderBookOptions = {}) {
    this.#maxBuffered = options.maxBuffered ?? 10_000;
  }

  get synced(): boolean {
    return this.#lastUpdateId !== undefined;
  }

  /** The update id the book is at; undefined while not synced. */
  get lastUpdateId(): number | undefined {
    return this.#lastUpdateId;
  }

  /** Events waiting for a snapshot. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** The first update id of the oldest buffered event: a usable snapshot's `lastUpdateId` is at least this. */
  get firstBufferedUpdateId(): number | undefined {
    return this.#buffer[0]?.first_update_id;
  }

  /** The last sequence gap that discarded the book. */
  get lastGap(): BookGap | undefined {
    return this.#lastGap;
  }

  applyEvent(event: BookDiff): BookEventResult {
    if (event.first_update_id > event.final_update_id) {
      throw new ValidationError(`depth event has U ${event.first_update_id} > u ${event.final_update_id}`);
    }
    const local = this.#lastUpdateId;
    if (local === undefined) return this.#hold(event);
    if (event.final_update_id <= local) return 'stale';
    if (event.first_update_id > local + 1) {
      this.#lastGap = { expected: local + 1, got: event.first_update_id };
      this.#discard();
      this.#buffer = [event];
      return 'gap';
    }
    this.#apply(event);
    return 'applied';
  }

  applySnapshot(snapshot: DepthSnapshotBody): BookSnapshotResult {
    if (this.#lastUpdateId !== undefined) return 'already_synced';
    const first = this.#buffer[0];
    if (!first) return 'need_events';
    const last = snapshot.lastUpdateId;
    if (last < first.first_update_id) return 'need_newer_snapshot';
    const pending = this.#buffer.filter((e) => e.final_update_id > last);
    this.#buffer = [];
    for (const [price, qty] of snapshot.bids) this.#bids.set(price, qty);
    for (const [price, qty] of snapshot.asks) this.#asks.set(price, qty);
    this.#lastUpdateId = last;
    for (let i = 0; i < pending.length; i++) {
      const event = pending[i];
      if (!event) continue;
      // The first applied event must span lastUpdateId + 1, every later one start right after the last:
      // a hole among the buffered events means this snapshot cannot be completed, a newer one can.
      if (event.first_update_id > (this.#lastUpdateId ?? last) + 1) {
        this.#discard();
        this.#buffer = pending.slice(i);
        return 'need_newer_snapshot';
      }
      this.#apply(event);
    }
    return 'synced';
  }

  /** Forgets the book and the buffer: after a disconnect nothing buffered can be trusted to be complete. */
  reset(): void {
    this.#discard();
    this.#buffer = [];
  }

  top(n: number): BookLevels | undefined {
    if (this.#lastUpdateId === undefined) return undefined;
    return { lastUpdateId: this.#lastUpdateId, bids: this.#bids.top(n), asks: this.#asks.top(n) };
  }

  full(): BookLevels | undefined {
    return this.top(Number.POSITIVE_INFINITY);
  }

  /** Levels per side. */
  depth(): { bids: number; asks: number } {
    return { bids: this.#bids.size, asks: this.#asks.size };
  }

  /** Best bid at or above best ask: never so on the exchange, so a sign of a corrupt book. */
  isCrossed(): boolean {
    const bid = this.#bids.bestKey();
    const ask = this.#asks.bestKey();
    return bid !== undefined && ask !== undefined && comparePriceKeys(bid, ask) >= 0;
  }

  #apply(event: BookDiff): void {
    for (const [price, qty] of event.bids) this.#bids.set(price, qty);
    for (const [price, qty] of event.asks) this.#asks.set(price, qty);
    this.#lastUpdateId = event.final_update_id;
  }

  #discard(): void {
    this.#bids.clear();
    this.#asks.clear();
    this.#lastUpdateId = undefined;
  }

  /** Inserts in update-id order (nearly always at the end), skipping duplicates; drops the oldest past the cap. */
  #hold(event: BookDiff): BookEventResult {
    const buffer = this.#buffer;
    let i = buffer.length;
    while (i > 0 && (buffer[i - 1]?.final_update_id ?? 0) > event.final_update_id) i--;
    if (buffer[i - 1]?.final_update_id === event.final_update_id) return 'stale';
    buffer.splice(i, 0, event);
    if (buffer.length > this.#maxBuffered) buffer.shift();
    return 'buffered';
  }
}
