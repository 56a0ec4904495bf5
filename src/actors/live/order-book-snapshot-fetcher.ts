import type { DepthSnapshotBody } from '../../protocol/index.ts';
import type { Clock } from '../ports/index.ts';
import { Backoff } from '../retry/index.ts';
import type { BackoffPolicy } from '../retry/index.ts';

/** What a fetch came to, for the book it was fetched for (`epoch`). */
export type SnapshotOutcome =
  | { readonly type: 'snapshot'; readonly body: DepthSnapshotBody; readonly epoch: number }
  | { readonly type: 'snapshot_failed'; readonly error: unknown; readonly epoch: number };

export interface OrderBookSnapshotFetcherOptions {
  readonly fetch: () => Promise<DepthSnapshotBody>;
  /** Told every outcome: the owner hands it to its mailbox, so it is handled in order with the events. */
  readonly deliver: (outcome: SnapshotOutcome) => void;
  readonly clock: Clock;
  /** Aborts a waiting or running fetch; nothing is delivered after it aborted. */
  readonly signal: AbortSignal;
  /** Waits after failures in a row (the `depthSnapshot` policy). */
  readonly retry: BackoffPolicy;
  /** @defaultValue Math.random */
  readonly random?: () => number;
}

/**
 * REST snapshots for one local order book: one fetch at a time; each outcome tagged with the book it
 * was fetched for (a disconnect discards the book, and a snapshot of the old one with it); after a
 * failure the next fetch waits a jittered, capped, exponential backoff, so a struggling exchange is
 * asked again later instead of failing the stage: which errors deserve that is the owner's call.
 */
export class OrderBookSnapshotFetcher {
  readonly #o: OrderBookSnapshotFetcherOptions;
  readonly #backoff: Backoff;
  #fetching = false;
  #epoch = 0;
  #notBefore = Number.NEGATIVE_INFINITY;

  constructor(options: OrderBookSnapshotFetcherOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.retry, options.random);
  }

  /** Failures in a row. */
  get failures(): number {
    return this.#backoff.attempts;
  }

  /** The book was discarded: what is being fetched belongs to the old one. */
  discardBook(): void {
    this.#epoch++;
  }

  /**
   * Takes an outcome in (the next fetch may start); true when it is for the current book. A snapshot
   * for it ends a run of failures.
   */
  settle(outcome: SnapshotOutcome): boolean {
    this.#fetching = false;
    const current = outcome.epoch === this.#epoch;
    if (current && outcome.type === 'snapshot') {
      this.#backoff.reset();
      this.#notBefore = Number.NEGATIVE_INFINITY;
    }
    return current;
  }

  /** A failure worth retrying: the next fetch waits; returns how long, or undefined once the policy's budget is spent. */
  backOff(): number | undefined {
    const now = this.#o.clock.now();
    const delayMs = this.#backoff.next(now);
    if (delayMs === undefined) return undefined;
    this.#notBefore = now + delayMs;
    return delayMs;
  }

  /** Starts a fetch after `delayMs` (or after the backoff, if longer), unless one is under way. */
  request(delayMs = 0): void {
    if (this.#fetching || this.#o.signal.aborted) return;
    this.#fetching = true;
    const { clock, signal, deliver } = this.#o;
    const epoch = this.#epoch;
    const wait = Math.max(delayMs, this.#notBefore - clock.now());
    void (async () => {
      try {
        if (wait > 0) await clock.sleep(wait, signal);
        const body = await this.#o.fetch();
        deliver({ type: 'snapshot', body, epoch });
      } catch (error) {
        if (!signal.aborted) deliver({ type: 'snapshot_failed', error, epoch });
      }
    })();
  }
}
