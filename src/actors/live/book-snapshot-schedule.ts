import type { BookSnapshot, TimeRange } from '../../protocol/index.ts';
import type { OrderBookView } from './order-book.ts';

export interface BookSnapshotScheduleOptions {
  readonly symbol: string;
  /** Only snapshots stamped within `[fromMs, toMs)` are taken. */
  readonly range: TimeRange;
  readonly topLevels: number;
  readonly intervalMs: number;
}

/**
 * When a book's top levels are stored: after the first sync (`initial`), after every later sync
 * (`resync`), and every `intervalMs` in between (`periodic`). A sync before the range starts is stored
 * when the range starts (the first one stored is the `initial` one). Each record is distinct: a quiet
 * book is not stored twice under one key.
 */
export class BookSnapshotSchedule {
  readonly #o: BookSnapshotScheduleOptions;
  #due: 'initial' | 'resync' | undefined;
  #initialStored = false;
  #lastAt = Number.NEGATIVE_INFINITY;
  #lastKey = '';

  constructor(options: BookSnapshotScheduleOptions) {
    this.#o = options;
  }

  /** The book has just synced from a snapshot. */
  synced(): void {
    this.#due = this.#initialStored ? 'resync' : 'initial';
  }

  /** The snapshot record due at `nowMs`, if any. */
  take(book: OrderBookView, nowMs: number): BookSnapshot | undefined {
    const { range, intervalMs, topLevels, symbol } = this.#o;
    if (this.#due === undefined && !this.#initialStored) return undefined;
    const reason = this.#due ?? 'periodic';
    if (reason === 'periodic' && nowMs - this.#lastAt < intervalMs) return undefined;
    if (nowMs < range.fromMs || nowMs >= range.toMs) return undefined;
    const top = book.top(topLevels);
    if (!top) return undefined;
    this.#due = undefined;
    this.#initialStored = true;
    this.#lastAt = nowMs;
    const key = `${top.lastUpdateId}_${reason}`;
    if (key === this.#lastKey) return undefined;
    this.#lastKey = key;
    return { record: 'book_snapshot', symbol, last_update_id: top.lastUpdateId, event_time: nowMs, reason, bids: top.bids, asks: top.asks };
  }
}
