import type { BackoffPolicy } from './backoff-policy.ts';
import { delayFor } from './delay-for.ts';

/**
 * The retries of one thing that keeps failing (a request, a connection, an actor): counts them
 * within the policy's budget and hands out each one's delay. A success {@link reset}s it.
 */
export class Backoff {
  readonly policy: BackoffPolicy;
  readonly #random: () => number;
  /** When each counted retry was taken. */
  #taken: number[] = [];

  constructor(policy: BackoffPolicy, random: () => number = Math.random) {
    this.policy = policy;
    this.#random = random;
  }

  /** Takes a retry at `now`: its delay, or undefined when the budget is spent (a refused retry is not counted). */
  next(now: number): number | undefined {
    const budget = this.policy.budget;
    const windowMs = budget?.windowMs;
    if (windowMs !== undefined) this.#taken = this.#taken.filter((t) => now - t < windowMs);
    if (budget && this.#taken.length >= budget.retries) return undefined;
    const attempt = this.#taken.length;
    this.#taken.push(now);
    return delayFor(this.policy, attempt, this.#random);
  }

  /** Retries counted (within the window). */
  get attempts(): number {
    return this.#taken.length;
  }

  /** It worked: the next failure starts again from `baseMs`, with the whole budget. */
  reset(): void {
    this.#taken = [];
  }
}
