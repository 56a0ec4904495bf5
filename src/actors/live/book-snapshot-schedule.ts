import type { BookSnapshot, TimeRange } from '../../protocol/index.ts';
import type { OrderBookView } from './order-book.ts';

export type BookSnapshotReason = BookSnapshot['reason'];

/**
 * The snapshot records stored at the newest update id any was stored at. A record's key is its update
 * id and reason, and a book's update id only grows, so these are the only keys a later take could repeat.
 */
export interface StoredBookSnapshots {
  /** -1 when none was stored. */
  readonly lastUpdateId: number;
  readonly reasons: readonly BookSnapshotReason[];
}

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
 * when the range starts (the first one stored is the `initial` one). No key (`<update id>_<reason>`) is
 * taken twice: a quiet book that resyncs at the update id it already had would otherwise repeat its
 * `periodic` one, and the end marker would count a record the store holds once. A snapshot older than
 * one already stored waits until the book has moved past it.
 */
export class BookSnapshotSchedule {
  readonly #o: BookSnapshotScheduleOptions;
  #due: 'initial' | 'resync' | undefined;
  #initialStored = false;
  #lastAt = Number.NEGATIVE_INFINITY;
  #storedAt = -1;
  readonly #reasons = new Set<BookSnapshotReason>();

  constructor(options: BookSnapshotScheduleOptions) {
    this.#o = options;
  }

  /** What was stored, for the loader's cursor. */
  get stored(): StoredBookSnapshots {
    return { lastUpdateId: this.#storedAt, reasons: [...this.#reasons] };
  }

  /** Carries on from what an earlier incarnation of the loader stored (from its cursor): its next sync is a `resync`. */
  restore(stored: StoredBookSnapshots): void {
    this.#storedAt = stored.lastUpdateId;
    this.#reasons.clear();
    for (const r of stored.reasons) this.#reasons.add(r);
    this.#initialStored = stored.lastUpdateId >= 0;
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
    if (!top || top.lastUpdateId < this.#storedAt) return undefined;
    this.#due = undefined;
    this.#initialStored = true;
    this.#lastAt = nowMs;
    if (top.lastUpdateId > this.#storedAt) {
      this.#storedAt = top.lastUpdateId;
      this.#reasons.clear();
    }
    // Same update id, same reason: the same record, already stored.
    if (this.#reasons.has(reason)) return undefined;
    this.#reasons.add(reason);
    return { record: 'book_snapshot', symbol, last_update_id: top.lastUpdateId, event_time: nowMs, reason, bids: top.bids, asks: top.asks };
  }
}
