import { ExchangeError, isRetriable } from '../../protocol/index.ts';
import type { Clock } from '../ports/index.ts';
import { Backoff } from './backoff.ts';
import type { BackoffPolicy } from './backoff-policy.ts';

export interface RetryRunOptions {
  readonly clock: Clock;
  /** Aborts a wait (rejecting with its reason); no retry starts once it aborted. */
  readonly signal?: AbortSignal | undefined;
  /** @defaultValue Math.random */
  readonly random?: () => number;
  /** Told before each wait: the error, the retries the budget counted so far, the wait. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /**
   * How long the server asked to be left alone (`Retry-After`), in ms: that wait replaces the backoff
   * and takes nothing from the budget (the server said exactly when to come back), up to
   * {@link MAX_RETRY_AFTER_WAITS} times. @defaultValue {@link exchangeRetryAfterMs}
   */
  readonly retryAfter?: (err: unknown) => number | undefined;
}

/**
 * The retry() of before the policies were named, kept for its callers: `maxAttempts` attempts in all
 * (the first included), equal jitter from `initialDelayMs` doubling to `maxDelayMs`.
 * @deprecated Pass a named policy from the configuration: `retry(fn, policy, { clock, … })`.
 */
export interface RetryOptions extends RetryRunOptions {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** @defaultValue 250 */
  readonly initialDelayMs?: number;
  /** @defaultValue 4000 */
  readonly maxDelayMs?: number;
}

/** Waits a server may impose in a row before its Retry-After counts against the budget like any failure. */
export const MAX_RETRY_AFTER_WAITS = 20;
/** Spread added to a Retry-After wait, so that clients told the same time do not all come back at once. */
const RETRY_AFTER_JITTER_MS = 100;

/** The exchange's `Retry-After` (429, 418, some 5xx), in ms. */
export function exchangeRetryAfterMs(err: unknown): number | undefined {
  return err instanceof ExchangeError && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : undefined;
}

/** The policy the deprecated {@link RetryOptions} describe. */
export function legacyRetryPolicy(options: Pick<RetryOptions, 'maxAttempts' | 'initialDelayMs' | 'maxDelayMs'>): BackoffPolicy {
  return {
    baseMs: options.initialDelayMs ?? 250,
    capMs: options.maxDelayMs ?? 4_000,
    jitter: 'equal',
    budget: { retries: Math.max(0, options.maxAttempts - 1) },
  };
}

function resolve(policyOrOptions: BackoffPolicy | RetryOptions, runOptions: RetryRunOptions | undefined): [BackoffPolicy, RetryRunOptions] {
  if ('maxAttempts' in policyOrOptions) return [legacyRetryPolicy(policyOrOptions), runOptions ?? policyOrOptions];
  if (runOptions === undefined) throw new TypeError('retry(fn, policy, options) needs its options: at least the clock');
  return [policyOrOptions, runOptions];
}

/**
 * Runs `fn` until it succeeds. Only errors marked `retriable` are retried (see `isRetriable`): any
 * other error, an aborted signal or a spent budget rethrows the last error at once. Between attempts
 * it waits the policy's backoff on `clock`, or what the server asked for (see {@link RetryRunOptions.retryAfter}).
 */
export function retry<T>(fn: () => Promise<T>, policy: BackoffPolicy, options: RetryRunOptions): Promise<T>;
/** @deprecated Pass a named policy: `retry(fn, policy, { clock, … })`. */
export function retry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T>;
export async function retry<T>(fn: () => Promise<T>, policyOrOptions: BackoffPolicy | RetryOptions, runOptions?: RetryRunOptions): Promise<T> {
  const [policy, options] = resolve(policyOrOptions, runOptions);
  const random = options.random ?? Math.random;
  const retryAfter = options.retryAfter ?? exchangeRetryAfterMs;
  const backoff = new Backoff(policy, random);
  let waits = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetriable(err) || options.signal?.aborted) throw err;
      const asked = retryAfter(err);
      let delayMs: number;
      if (asked !== undefined && waits < MAX_RETRY_AFTER_WAITS) {
        waits++;
        delayMs = asked + Math.round(random() * RETRY_AFTER_JITTER_MS);
      } else {
        const next = backoff.next(options.clock.now());
        if (next === undefined) throw err;
        delayMs = next;
      }
      options.onRetry?.(err, backoff.attempts, delayMs);
      await options.clock.sleep(delayMs, options.signal);
    }
  }
}
