import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, delayFor, retry } from '../../src/actors/retry/index.ts';
import type { BackoffPolicy } from '../../src/actors/retry/index.ts';
import { ErrorCodes, ExchangeError, StreamForgeError, ValidationError } from '../../src/protocol/index.ts';
import { FakeClock, settle } from '../helpers/fake-clock.ts';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const policy = (jitter: BackoffPolicy['jitter'], budget?: BackoffPolicy['budget']): BackoffPolicy => ({ baseMs: 100, capMs: 1_000, jitter, ...(budget ? { budget } : {}) });

const transient = (): StreamForgeError => new StreamForgeError(ErrorCodes.UNAVAILABLE, 'try later', { retriable: true });

/** A function failing with `errors`, one per call, then returning `result`. */
function failing<T>(errors: readonly Error[], result: T): { fn: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    fn: () => {
      const err = errors[calls++];
      return err ? Promise.reject(err) : Promise.resolve(result);
    },
    calls: () => calls,
  };
}

describe('delayFor', () => {
  it('doubles from baseMs up to capMs; without jitter that is the delay', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => delayFor(policy('none'), n)), [100, 200, 400, 800, 1_000, 1_000]);
  });

  it('spreads equal jitter over [cap/2, cap] and full jitter over [0, cap]', () => {
    assert.deepEqual([0, 0.5, 1].map((r) => delayFor(policy('equal'), 2, () => r)), [200, 300, 400]);
    assert.deepEqual([0, 0.5, 1].map((r) => delayFor(policy('full'), 2, () => r)), [0, 200, 400]);
  });

  it('keeps every jittered delay within its bounds, and uses the whole range (seeded random)', () => {
    for (const [jitter, lowShare] of [['equal', 0.5], ['full', 0]] as const) {
      const random = seeded(42);
      for (const attempt of [0, 3, 10]) {
        const cap = Math.min(1_000, 100 * 2 ** attempt);
        const delays = Array.from({ length: 2_000 }, () => delayFor(policy(jitter), attempt, random));
        assert.ok(delays.every((d) => Number.isInteger(d) && d >= cap * lowShare && d <= cap), `${jitter} ${attempt}: within [${cap * lowShare}, ${cap}]`);
        const span = Math.max(...delays) - Math.min(...delays);
        assert.ok(span > 0.9 * cap * (1 - lowShare), `${jitter} ${attempt}: spread over the range (${span} of ${cap * (1 - lowShare)})`);
      }
    }
  });

  it('stays at the cap for any attempt, and at 0 for a base of 0', () => {
    assert.equal(delayFor(policy('none'), 5_000), 1_000);
    assert.equal(delayFor({ baseMs: 0, capMs: 1_000, jitter: 'none' }, 3), 0);
  });
});

describe('Backoff', () => {
  it('hands out the delays in order and is spent after its budget, counting no refused retry', () => {
    const backoff = new Backoff(policy('none', { retries: 3 }));
    assert.deepEqual([backoff.next(0), backoff.next(1), backoff.next(2)], [100, 200, 400]);
    assert.equal(backoff.next(3), undefined);
    assert.equal(backoff.attempts, 3);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff(policy('none', { retries: 2 }));
    backoff.next(0);
    backoff.next(0);
    backoff.reset();
    assert.equal(backoff.attempts, 0);
    assert.equal(backoff.next(0), 100);
  });

  it('counts retries in a sliding window when the budget has one', () => {
    const backoff = new Backoff(policy('none', { retries: 2, windowMs: 1_000 }));
    assert.deepEqual([backoff.next(0), backoff.next(500), backoff.next(999)], [100, 200, undefined]);
    assert.equal(backoff.next(1_000), 200, 'the retry at 0 left the window');
    assert.equal(backoff.next(2_500), 100, 'both left: from the start again');
  });

  it('never runs out without a budget', () => {
    const backoff = new Backoff(policy('none'));
    const delays = Array.from({ length: 50 }, (_, i) => backoff.next(i));
    assert.ok(delays.every((d) => d !== undefined));
    assert.equal(delays.at(-1), 1_000);
  });
});

describe('retry with a policy', () => {
  it('waits the policy\'s delays on the clock between attempts, telling each retry', async () => {
    const clock = new FakeClock(0);
    const { fn, calls } = failing([transient(), transient(), transient()], 'ok');
    const told: Array<[number, number]> = [];
    const result = await retry(fn, policy('equal', { retries: 5 }), { clock, random: () => 1, onRetry: (_e, attempt, ms) => told.push([attempt, ms]) });
    assert.equal(result, 'ok');
    assert.equal(calls(), 4);
    assert.deepEqual(clock.sleeps, [100, 200, 400]);
    assert.deepEqual(told, [[1, 100], [2, 200], [3, 400]]);
    assert.equal(clock.now(), 700, 'the time went by on the clock, not in real time');
  });

  it('gives up with the last error once the budget is spent', async () => {
    const clock = new FakeClock(0);
    const errors = Array.from({ length: 5 }, () => transient());
    const { fn, calls } = failing(errors, 'never');
    await assert.rejects(retry(fn, policy('none', { retries: 2 }), { clock }), (e) => e === errors[2]);
    assert.equal(calls(), 3, 'the first attempt and two retries');
  });

  it('bails out at once on an error that is not retriable', async () => {
    for (const err of [new ValidationError('bad symbol'), new StreamForgeError(ErrorCodes.UNAVAILABLE, 'down for good'), new TypeError('a bug')]) {
      const clock = new FakeClock(0);
      const { fn, calls } = failing([err], 'never');
      await assert.rejects(retry(fn, policy('none'), { clock }), (e) => e === err);
      assert.equal(calls(), 1, `${err.message}: not retried`);
      assert.deepEqual(clock.sleeps, []);
    }
  });

  it('waits what the server asked (Retry-After) without using up the budget', async () => {
    const clock = new FakeClock(0);
    const limited = new ExchangeError(ErrorCodes.EXCHANGE_RATE_LIMITED, '429', { retriable: true, status: 429, retryAfterSeconds: 2 });
    const { fn, calls } = failing([limited, limited, transient()], 'ok');
    assert.equal(await retry(fn, policy('none', { retries: 1 }), { clock, random: () => 0 }), 'ok');
    assert.equal(calls(), 4);
    assert.deepEqual(clock.sleeps, [2_000, 2_000, 100]);
  });

  it('stops waiting when the signal aborts, with its reason', async () => {
    const clock = new FakeClock(0, { sleeps: 'timer' });
    const controller = new AbortController();
    const { fn, calls } = failing([transient(), transient()], 'ok');
    const pending = retry(fn, policy('none'), { clock, signal: controller.signal });
    await settle();
    assert.equal(clock.pending, 1, 'waiting its first backoff');
    const reason = new Error('stage stopped');
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.equal(calls(), 1);
    assert.equal(clock.pending, 0, 'the wait was cancelled');
  });

  it('retries on as long as there is no budget, and the wait is the clock\'s', async () => {
    const clock = new FakeClock(0, { sleeps: 'timer' });
    const errors = Array.from({ length: 8 }, () => transient());
    const { fn, calls } = failing(errors, 'ok');
    const result = await clock.advanceUntilSettled(retry(fn, policy('none'), { clock }));
    assert.equal(result, 'ok');
    assert.equal(calls(), 9);
    assert.equal(clock.now(), 100 + 200 + 400 + 800 + 4 * 1_000);
  });

  it('asks for its options', async () => {
    await assert.rejects(
      // @ts-expect-error the options (the clock) are required with a policy
      retry(() => Promise.resolve(1), policy('none')),
      (e) => e instanceof TypeError && /at least the clock/.test(e.message),
    );
  });
});
