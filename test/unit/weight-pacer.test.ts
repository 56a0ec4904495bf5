import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WeightPacer } from '../../src/actors/exchange/index.ts';
import type { RateLimit } from '../../src/protocol/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

/** 2024-08-01T00:00:00Z: a boundary of every window length used here. */
const BOUNDARY = 1_722_470_400_000;
const NO_HEADERS = {};

function weightLimit(interval: RateLimit['interval'], intervalNum: number, limit: number): RateLimit {
  return { rateLimitType: 'REQUEST_WEIGHT', interval, intervalNum, limit };
}

async function sendRequests(pacer: WeightPacer, n: number, weight: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await pacer.acquire(weight);
    pacer.settle(weight, NO_HEADERS);
  }
}

describe('WeightPacer', () => {
  it('lets requests through up to target × limit, then waits for the next window', async () => {
    const clock = new FakeClock(BOUNDARY + 10_000);
    const pacer = new WeightPacer([weightLimit('MINUTE', 1, 100)], clock, 0.5);
    await sendRequests(pacer, 5, 10);
    assert.deepEqual(clock.sleeps, [], 'a weight of exactly target × limit (50) still goes');
    assert.equal(clock.now(), BOUNDARY + 10_000);

    await pacer.acquire(10);
    assert.equal(clock.now(), BOUNDARY + 60_000 + 25, 'waited until just past the minute boundary');
    assert.deepEqual(clock.sleeps, [50_025]);
    pacer.settle(10, NO_HEADERS);
    await sendRequests(pacer, 4, 10);
    assert.equal(clock.sleeps.length, 1, 'the new window has a fresh budget');
    const stats = pacer.stats();
    assert.equal(stats.waits, 1);
    assert.equal(stats.waitedMs, 50_025);
  });

  it('counts reservations still in flight', async () => {
    // Sleeps stay pending: nothing settles the first five, so the sixth could only ever wait.
    const clock = new FakeClock(BOUNDARY, { holdSleeps: true });
    const pacer = new WeightPacer([weightLimit('MINUTE', 1, 100)], clock, 0.5);
    for (let i = 0; i < 5; i++) await pacer.acquire(10);
    assert.deepEqual(clock.sleeps, []);
    const controller = new AbortController();
    const sixth = pacer.acquire(10, controller.signal);
    assert.deepEqual(clock.sleeps, [60_025], 'the sixth waits for the next window');
    controller.abort(new Error('test over'));
    await assert.rejects(sixth, /test over/);
  });

  it('trusts x-mbx-used-weight-1m: weight used by other clients counts, and so does a lower figure', async () => {
    const clock = new FakeClock(BOUNDARY + 1_000);
    const pacer = new WeightPacer([weightLimit('MINUTE', 1, 100)], clock, 0.5);
    await pacer.acquire(1);
    pacer.settle(1, { 'x-mbx-used-weight-1m': '48' });
    assert.equal(pacer.usedRatio(), 0.48);
    await pacer.acquire(2);
    pacer.settle(2, { 'x-mbx-used-weight-1m': '49' });
    assert.deepEqual(clock.sleeps, []);
    await pacer.acquire(2);
    assert.deepEqual(clock.sleeps, [59_025], '49 + 2 > 50: wait for the next window');
    pacer.settle(2, { 'x-mbx-used-weight-1m': '2' });

    // Our own count says 42, the exchange says 5: the exchange wins, so 45 more fit.
    await sendRequests(pacer, 4, 10);
    pacer.settle(0, { 'x-mbx-used-weight-1m': '5' });
    await sendRequests(pacer, 4, 10);
    await pacer.acquire(5);
    assert.equal(clock.sleeps.length, 1);
  });

  it('honours several REQUEST_WEIGHT limits at once and ignores other limit types', async () => {
    const clock = new FakeClock(BOUNDARY + 13_000);
    const limits: RateLimit[] = [
      weightLimit('SECOND', 10, 50),
      weightLimit('MINUTE', 1, 1_000),
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 1 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 1 },
    ];
    const pacer = new WeightPacer(limits, clock, 1);
    await sendRequests(pacer, 5, 10);
    assert.deepEqual(clock.sleeps, [], 'ORDERS and RAW_REQUESTS limits do not pace weight');

    await pacer.acquire(10);
    assert.equal(clock.now(), BOUNDARY + 20_025, 'the 10s window was full');
    pacer.settle(10, { 'x-mbx-used-weight-1m': '995', 'x-mbx-used-weight-10s': '10' });

    await pacer.acquire(10);
    assert.equal(clock.now(), BOUNDARY + 60_025, 'the minute window was full although the 10s one was not');
    assert.deepEqual(clock.sleeps, [7_025, 40_000]);
  });

  it('release() frees a reservation without counting it as used', async () => {
    const clock = new FakeClock(BOUNDARY);
    const pacer = new WeightPacer([weightLimit('MINUTE', 1, 100)], clock, 0.5);
    for (let i = 0; i < 5; i++) await pacer.acquire(10);
    pacer.release(10);
    await pacer.acquire(10);
    assert.deepEqual(clock.sleeps, [], 'the released 10 made room');
    assert.equal(pacer.usedRatio(), 0);
  });

  it('lines windows up with the server clock', async () => {
    const clock = new FakeClock(BOUNDARY + 50_000);
    const pacer = new WeightPacer([weightLimit('MINUTE', 1, 100)], clock, 0.5);
    pacer.setServerOffset(5_000);
    await sendRequests(pacer, 5, 10);
    await pacer.acquire(10);
    assert.deepEqual(clock.sleeps, [5_025], 'the server is 55 s into its minute');
  });

  it('stops waiting when the signal aborts, reserving nothing', async () => {
    const clock = new FakeClock(BOUNDARY);
    const pacer = new WeightPacer([weightLimit('MINUTE', 1, 100)], clock, 0.5);
    await sendRequests(pacer, 5, 10);
    const controller = new AbortController();
    const reason = new Error('workflow stopped');
    controller.abort(reason);
    await assert.rejects(pacer.acquire(10, controller.signal), (err) => err === reason);
    await clock.advance(60_000);
    await pacer.acquire(50);
    assert.deepEqual(clock.sleeps, [], 'the aborted request held no weight');
  });

  it('reports weight used and allowed over the windows seen', async () => {
    const clock = new FakeClock(BOUNDARY);
    const pacer = new WeightPacer([weightLimit('MINUTE', 1, 100)], clock, 0.5);
    await sendRequests(pacer, 4, 10);
    await clock.advance(60_000);
    await pacer.acquire(1);
    pacer.settle(1, { 'x-mbx-used-weight-1m': '30' });
    const stats = pacer.stats();
    assert.equal(stats.weightUsed, 70);
    assert.equal(stats.weightAllowed, 200);
  });
});
