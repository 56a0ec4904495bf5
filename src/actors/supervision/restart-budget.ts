import type { SupervisionPolicy } from '../ports/actor.ts';
import { Backoff } from '../retry/index.ts';
import type { BackoffPolicy } from '../retry/index.ts';

/** A supervision policy in the retry module's words: `maxRestarts` within `windowMs`, equal jitter between the two bounds. */
export function restartBackoff(policy: SupervisionPolicy): BackoffPolicy {
  return {
    baseMs: policy.initialBackoffMs,
    capMs: policy.maxBackoffMs,
    jitter: 'equal',
    budget: { retries: policy.maxRestarts, windowMs: policy.windowMs },
  };
}

/**
 * The restarts of one actor: a {@link Backoff} over its supervision policy. Counts restarts in a
 * sliding window and hands out jittered exponential backoffs ("equal jitter": uniform in
 * [base/2, base]), so that restarts of many actors spread out.
 */
export class RestartBudget extends Backoff {
  constructor(policy: SupervisionPolicy, random: () => number = Math.random) {
    super(restartBackoff(policy), random);
  }
}
