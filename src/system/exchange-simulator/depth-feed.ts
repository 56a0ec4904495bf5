import type { DepthBooks } from './depth-books.ts';
import { depthEvent } from './live-events.ts';
import type { DepthBatch, Level } from './order-book.ts';
import type { Topic } from './stream-hub.ts';

const SECOND_MS = 1000;

/** Batches merged for the 1000 ms `@depth` stream, later changes of a price winning. */
interface Merged {
  readonly second: number;
  readonly firstId: number;
  lastId: number;
  timeMs: number;
  readonly bids: Map<string, string>;
  readonly asks: Map<string, string>;
}

function toLevels(side: Map<string, string>): Level[] {
  return [...side].map(([price, qty]) => [price, qty]);
}

/**
 * Turns order-book batches into depthUpdate events: each batch is one event on `@depth@100ms`;
 * `@depth` (and `@depth@1000ms`) get the batches of each simulator second merged into one.
 * An injected gap flushes the merge and sends nothing, so the next event's U jumps.
 */
export class DepthFeed {
  readonly #books: DepthBooks;
  readonly #merged = new Map<string, Merged>();
  /** Depth topics by symbol, rebuilt every tick. */
  #topics: ReadonlyMap<string, Topic[]> = new Map();

  constructor(books: DepthBooks) {
    this.#books = books;
  }

  tick(nowMs: number, depthTopics: ReadonlyMap<string, Topic[]>): void {
    this.#topics = depthTopics;
    for (const symbol of depthTopics.keys()) this.#books.book(symbol, nowMs);
    this.#books.advance(nowMs, (symbol) => this.#topics.has(symbol), (symbol, batch, dropped) => this.#onBatch(symbol, batch, dropped));
    const second = Math.floor(nowMs / SECOND_MS);
    for (const [symbol, merged] of this.#merged) if (merged.second < second) this.#flush(symbol);
  }

  #onBatch(symbol: string, batch: DepthBatch, dropped: boolean): void {
    const topics = this.#topics.get(symbol) ?? [];
    const slow = topics.filter((t) => t.spec.kind === 'depth' && t.spec.speedMs === 1000);
    const merged = this.#merged.get(symbol);
    if (dropped || slow.length === 0 || (merged !== undefined && merged.second !== Math.floor(batch.timeMs / SECOND_MS))) {
      this.#flush(symbol);
    }
    if (dropped) return;
    let payload: string | undefined;
    for (const topic of topics) {
      if (topic.spec.kind !== 'depth' || topic.spec.speedMs !== 100) continue;
      payload ??= depthEvent(symbol, batch.timeMs, batch.firstId, batch.lastId, batch.bids, batch.asks);
      topic.publish(payload);
    }
    if (slow.length > 0) this.#merge(symbol, batch);
  }

  #merge(symbol: string, batch: DepthBatch): void {
    let merged = this.#merged.get(symbol);
    if (merged === undefined) {
      merged = {
        second: Math.floor(batch.timeMs / SECOND_MS),
        firstId: batch.firstId,
        lastId: batch.lastId,
        timeMs: batch.timeMs,
        bids: new Map(),
        asks: new Map(),
      };
      this.#merged.set(symbol, merged);
    }
    merged.lastId = batch.lastId;
    merged.timeMs = batch.timeMs;
    for (const [price, qty] of batch.bids) merged.bids.set(price, qty);
    for (const [price, qty] of batch.asks) merged.asks.set(price, qty);
  }

  #flush(symbol: string): void {
    const merged = this.#merged.get(symbol);
    if (merged === undefined) return;
    this.#merged.delete(symbol);
    const payload = depthEvent(symbol, merged.timeMs, merged.firstId, merged.lastId, toLevels(merged.bids), toLevels(merged.asks));
    for (const topic of this.#topics.get(symbol) ?? []) {
      if (topic.spec.kind === 'depth' && topic.spec.speedMs === 1000) topic.publish(payload);
    }
  }
}
