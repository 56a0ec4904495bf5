/**
 * How a delay is spread below its exponential cap (see {@link delayFor}):
 * - `full`: uniform in [0, cap]: retries of many clients spread out the most (AWS's "full jitter");
 * - `equal`: uniform in [cap/2, cap]: spread, yet never much shorter than the cap;
 * - `none`: the cap itself.
 */
export const Jitters = ['full', 'equal', 'none'] as const;
export type Jitter = (typeof Jitters)[number];

/** How many retries a policy allows before the failure is final. */
export interface RetryBudget {
  /** Retries (or restarts) allowed: the first attempt is not one. */
  readonly retries: number;
  /** Counted in a sliding window of this length; older ones stop counting. @defaultValue every retry since the last success */
  readonly windowMs?: number;
}

/**
 * One user's backoff: the n-th retry (n from 0) waits `min(capMs, baseMs · 2ⁿ)`, jittered, within
 * an optional budget. Every policy of the system is named, with its defaults, in the configuration
 * (`retryPolicies` in `src/system/config/config.ts`).
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  readonly jitter: Jitter;
  /** @defaultValue none: retries go on while the error is retriable (or the owner stops them) */
  readonly budget?: RetryBudget;
}
