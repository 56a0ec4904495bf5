import { OrderBook } from './order-book.ts';
import type { BookLevels, DepthBatch } from './order-book.ts';

/** A REST depth request keeps its book evolving this long (simulator clock) without subscribers. */
const REST_ACTIVITY_MS = 10_000;
/** After a clock jump, at most this many batches are drawn at once; the book skips the rest of the time. */
const MAX_STEPS_PER_ADVANCE = 50;

interface Entry {
  readonly book: OrderBook;
  /** Index (time / interval) of the last step taken or skipped. */
  lastStep: number;
  activeUntilMs: number;
  gapPending: boolean;
}

/** Receives each batch; `dropped` batches are the injected sequence gaps, never sent. */
export type BatchSink = (symbol: string, batch: DepthBatch, dropped: boolean) => void;

/**
 * The simulator's order books, created lazily per symbol. A book evolves (one batch per
 * `intervalMs` of the simulator clock) only while its depth stream has subscribers or shortly after
 * a REST snapshot, so idle simulators do no work; update ids stay consecutive across idle periods.
 */
export class DepthBooks {
  readonly #seed: number;
  readonly #intervalMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(seed: number, intervalMs: number) {
    this.#seed = seed;
    this.#intervalMs = intervalMs;
  }

  /** The book of `symbol` (which must be listed), created at `nowMs` if it does not exist yet. */
  book(symbol: string, nowMs: number): OrderBook {
    return this.#entry(symbol, nowMs).book;
  }

  /** `GET /api/v3/depth`: the engine's top `limit` levels; keeps the book evolving for a while. */
  restSnapshot(symbol: string, limit: number, nowMs: number): BookLevels {
    const entry = this.#entry(symbol, nowMs);
    entry.activeUntilMs = Math.max(entry.activeUntilMs, nowMs + REST_ACTIVITY_MS);
    return entry.book.snapshot(limit);
  }

  /** The next batch of `symbol` is drawn and applied but reported as dropped. */
  injectGap(symbol: string, nowMs: number): void {
    this.#entry(symbol, nowMs).gapPending = true;
  }

  /** Takes the steps due by `nowMs` for every active book, in time order per book. */
  advance(nowMs: number, subscribed: (symbol: string) => boolean, sink: BatchSink): void {
    const stepNow = Math.floor(nowMs / this.#intervalMs);
    for (const [symbol, entry] of this.#entries) {
      if (stepNow <= entry.lastStep) continue;
      if (!subscribed(symbol) && nowMs >= entry.activeUntilMs) {
        entry.lastStep = stepNow;
        continue;
      }
      for (let step = Math.max(entry.lastStep + 1, stepNow - MAX_STEPS_PER_ADVANCE + 1); step <= stepNow; step++) {
        const batch = entry.book.step(step * this.#intervalMs);
        const dropped = entry.gapPending;
        entry.gapPending = false;
        sink(symbol, batch, dropped);
      }
      entry.lastStep = stepNow;
    }
  }

  #entry(symbol: string, nowMs: number): Entry {
    let entry = this.#entries.get(symbol);
    if (entry === undefined) {
      entry = {
        book: new OrderBook(this.#seed, symbol, nowMs),
        lastStep: Math.floor(nowMs / this.#intervalMs),
        activeUntilMs: 0,
        gapPending: false,
      };
      this.#entries.set(symbol, entry);
    }
    return entry;
  }
}
