import type { BackoffPolicy } from './backoff-policy.ts';

/** Beyond this the doubling has long passed any cap: it keeps the product finite. */
const MAX_DOUBLINGS = 64;

/**
 * The wait before retry number `attempt` (0 for the first retry): the cap `min(capMs, baseMs · 2^attempt)`
 * spread by the policy's jitter with `random` (uniform in [0, 1)), in whole milliseconds. Pure.
 */
export function delayFor(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = policy.baseMs <= 0 ? 0 : Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(0, attempt), MAX_DOUBLINGS));
  switch (policy.jitter) {
    case 'none':
      return Math.round(cap);
    case 'equal':
      return Math.round(cap / 2 + (random() * cap) / 2);
    case 'full':
      return Math.round(random() * cap);
    default: {
      const never: never = policy.jitter;
      throw new TypeError(`unknown jitter ${String(never)}; expected one of full, equal, none`);
    }
  }
}
