import { ExchangeError, isRetriable } from '../../protocol/index.ts';
import type { Clock } from '../ports/index.ts';

export interface RetryOptions {
  readonly clock: Clock;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** @defaultValue 250 */
  readonly initialDelayMs?: number;
  /** @defaultValue 4000 */
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, retrying only errors marked `retriable`, with jittered exponential
 * backoff. A server's `Retry-After` replaces the backoff and does not use up an attempt: the
 * server told us exactly when to come back.
 */
export async function retry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const random = options.random ?? Math.random;
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 4_000;
  let attempt = 0;
  let waits = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetriable(err) || options.signal?.aborted) throw err;
      const retryAfter = err instanceof ExchangeError ? err.retryAfterSeconds : undefined;
      let delay: number;
      if (retryAfter !== undefined && waits < 20) {
        waits++;
        delay = retryAfter * 1000 + Math.round(random() * 100);
      } else {
        attempt++;
        if (attempt >= options.maxAttempts) throw err;
        const base = Math.min(max, initial * 2 ** (attempt - 1));
        delay = Math.round(base / 2 + (random() * base) / 2);
      }
      options.onRetry?.(err, attempt, delay);
      await options.clock.sleep(delay, options.signal);
    }
  }
}
