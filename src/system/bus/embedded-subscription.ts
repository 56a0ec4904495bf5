import type { EventEmitter } from 'node:events';
import type { BusMessage, SubscribeOptions, Subscription } from '../../actors/ports/index.ts';

/** What a subscription reads of the embedded bus. */
export interface SubscribedLog {
  /** Up to `max` messages of the partition from the group's committed offset. */
  fetch(groupId: string, topic: string, partition: number, max: number): BusMessage[];
  commit(groupId: string, topic: string, partition: number, nextOffset: number): void;
  /** Emits a topic's name when this process wrote to it. */
  readonly written: EventEmitter;
  /** How often to look for what other processes wrote. */
  readonly pollIntervalMs: number;
}

/**
 * One group's consumer loop on the embedded bus: fetches each partition from the committed offset,
 * hands the batch to the handler and commits only after it finished (at-least-once).
 */
export class EmbeddedSubscription implements Subscription {
  readonly #bus: SubscribedLog;
  readonly #options: SubscribeOptions;
  readonly partitions: ReadonlyArray<{ topic: string; count: number }>;
  readonly #closed = new AbortController();
  #done: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #dirty = false;

  constructor(bus: SubscribedLog, options: SubscribeOptions, partitions: ReadonlyArray<{ topic: string; count: number }>) {
    this.#bus = bus;
    this.#options = options;
    this.partitions = partitions;
  }

  get groupId(): string {
    return this.#options.groupId;
  }

  run(): Promise<void> {
    this.#done = this.#loop();
    return this.#done;
  }

  async #loop(): Promise<void> {
    const { groupId, handler, onError } = this.#options;
    const max = this.#options.maxBatchSize ?? 500;
    const onWrite = () => {
      this.#dirty = true;
      this.#wake?.();
    };
    for (const { topic } of this.partitions) this.#bus.written.on(topic, onWrite);
    try {
      while (!this.#closed.signal.aborted) {
        let delivered = false;
        this.#dirty = false;
        for (const { topic, count } of this.partitions) {
          for (let p = 0; p < count && !this.#closed.signal.aborted; p++) {
            const batch = this.#bus.fetch(groupId, topic, p, max);
            const last = batch.at(-1);
            if (!last) continue;
            delivered = true;
            await this.#untilClosed(handler(batch));
            if (this.#closed.signal.aborted) return;
            this.#bus.commit(groupId, topic, p, Number(last.offset) + 1);
          }
        }
        if (!delivered && !this.#dirty) await this.#idle();
      }
    } catch (err) {
      if (!this.#closed.signal.aborted) {
        this.#closed.abort();
        onError(err);
      }
    } finally {
      for (const { topic } of this.partitions) this.#bus.written.off(topic, onWrite);
    }
  }

  /** Waits for the handler, but lets close() end the loop even while a handler hangs. */
  #untilClosed(work: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => resolve();
      this.#closed.signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => this.#closed.signal.removeEventListener('abort', onAbort));
    });
  }

  #idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#bus.pollIntervalMs);
      const signal = this.#closed.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      this.#wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    this.#closed.abort();
    await this.#done;
  }
}
