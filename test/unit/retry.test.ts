import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retry } from '../../src/actors/exchange/index.ts';
import { ErrorCodes, ExchangeError, StoreError } from '../../src/protocol/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

function unavailable(retryAfterSeconds?: number): ExchangeError {
  return new ExchangeError(ErrorCodes.EXCHANGE_UNAVAILABLE, 'exchange answered 503', {
    retriable: true,
    status: 503,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

/** A function that fails with the given errors, one per call, then returns `result`. */
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

describe('retry', () => {
  it('retries retriable errors with jittered exponential backoff until it succeeds', async () => {
    const clock = new FakeClock(0);
    const { fn, calls } = failing([unavailable(), unavailable(), unavailable()], 'ok');
    const retries: Array<[number, number]> = [];
    const result = await retry(fn, {
      clock,
      maxAttempts: 5,
      random: () => 1,
      onRetry: (_err, attempt, delayMs) => retries.push([attempt, delayMs]),
    });
    assert.equal(result, 'ok');
    assert.equal(calls(), 4);
    assert.deepEqual(clock.sleeps, [250, 500, 1_000]);
    assert.deepEqual(retries, [[1, 250], [2, 500], [3, 1_000]]);
  });

  it('keeps each backoff within [base/2, base] and under maxDelayMs', async () => {
    const clock = new FakeClock(0);
    const errors = Array.from({ length: 5 }, () => unavailable());
    const { fn } = failing(errors, 'ok');
    await retry(fn, { clock, maxAttempts: 6, initialDelayMs: 100, maxDelayMs: 300, random: () => 0 });
    assert.deepEqual(clock.sleeps, [50, 100, 150, 150, 150]);
  });

  it('does not retry errors that are not retriable', async () => {
    for (const err of [
      new ExchangeError(ErrorCodes.EXCHANGE_BAD_REQUEST, 'invalid symbol', { status: 400 }),
      new StoreError('disk full'),
      new Error('plain error'),
    ]) {
      const clock = new FakeClock(0);
      const { fn, calls } = failing([err], 'never');
      await assert.rejects(retry(fn, { clock, maxAttempts: 5 }), (e) => e === err);
      assert.equal(calls(), 1, `${err.message}: one call`);
      assert.deepEqual(clock.sleeps, []);
    }
  });

  it('stops after maxAttempts and rethrows the last error', async () => {
    const clock = new FakeClock(0);
    const errors = Array.from({ length: 10 }, () => unavailable());
    const { fn, calls } = failing(errors, 'never');
    await assert.rejects(retry(fn, { clock, maxAttempts: 3, random: () => 1 }), (e) => e === errors[2]);
    assert.equal(calls(), 3, 'maxAttempts counts the first attempt');
    assert.deepEqual(clock.sleeps, [250, 500]);
  });

  it('waits as Retry-After says, without using up attempts', async () => {
    const clock = new FakeClock(0);
    const { fn, calls } = failing([unavailable(3), unavailable(3), unavailable(1), unavailable()], 'ok');
    const result = await retry(fn, { clock, maxAttempts: 2, random: () => 0 });
    assert.equal(result, 'ok');
    assert.equal(calls(), 5, 'three Retry-After waits and one backoff within two attempts');
    assert.deepEqual(clock.sleeps, [3_000, 3_000, 1_000, 125]);
  });

  it('still gives up when the server keeps sending Retry-After', async () => {
    const clock = new FakeClock(0);
    const errors = Array.from({ length: 1_000 }, () => unavailable(1));
    const { fn, calls } = failing(errors, 'never');
    await assert.rejects(retry(fn, { clock, maxAttempts: 1, random: () => 0 }), /503/);
    assert.ok(calls() > 1 && calls() < errors.length, `gave up after ${calls()} calls`);
  });

  it('stops when the signal aborts during a backoff', async () => {
    const clock = new FakeClock(0, { holdSleeps: true });
    const controller = new AbortController();
    const { fn, calls } = failing([unavailable(), unavailable()], 'ok');
    const pending = retry(fn, { clock, maxAttempts: 5, signal: controller.signal });
    await waitForSleep(clock);
    const reason = new Error('workflow stopped');
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.equal(calls(), 1);
  });

  it('does not retry once the signal has aborted', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const err = unavailable();
    let calls = 0;
    const fn = () => {
      calls++;
      controller.abort(new Error('stopped'));
      return Promise.reject(err);
    };
    await assert.rejects(retry(fn, { clock, maxAttempts: 5, signal: controller.signal }), (e) => e === err);
    assert.equal(calls, 1);
    assert.deepEqual(clock.sleeps, []);
  });
});

/** The first attempt fails in a microtask; let those run until retry is asleep. */
async function waitForSleep(clock: FakeClock): Promise<void> {
  for (let i = 0; i < 100 && clock.sleeps.length === 0; i++) await Promise.resolve();
  assert.equal(clock.sleeps.length, 1, 'retry went to sleep after the first failure');
}
