import type { SupervisionPolicy } from '../ports/actor.ts';

export const DEFAULT_SUPERVISION: SupervisionPolicy = Object.freeze({
  maxRestarts: 5,
  windowMs: 60_000,
  initialBackoffMs: 100,
  maxBackoffMs: 10_000,
});

/**
 * Counts restarts in a sliding window and hands out jittered exponential backoffs
 * ("full jitter": uniform in [base/2, base]), so that restarts of many actors spread out.
 */
export class RestartBudget {
  readonly #policy: SupervisionPolicy;
  readonly #random: () => number;
  #restarts: number[] = [];

  constructor(policy: SupervisionPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** Records a failure at `now`; returns the delay before the next restart, or undefined when the budget is spent. */
  next(now: number): number | undefined {
    this.#restarts = this.#restarts.filter((t) => now - t < this.#policy.windowMs);
    if (this.#restarts.length >= this.#policy.maxRestarts) return undefined;
    const attempt = this.#restarts.length;
    this.#restarts.push(now);
    const base = Math.min(this.#policy.maxBackoffMs, this.#policy.initialBackoffMs * 2 ** attempt);
    return Math.round(base / 2 + (this.#random() * base) / 2);
  }

  get attempts(): number {
    return this.#restarts.length;
  }
}
