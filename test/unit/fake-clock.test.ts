import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../helpers/fake-clock.ts';

describe('FakeClock', () => {
  it('fires timers in the order they are due, each at its own time, as time is advanced', async () => {
    const clock = new FakeClock(1_000);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['late', clock.now()]), 100);
    await clock.advance(50);
    assert.deepEqual(fired, [['a', 1_010], ['b', 1_020], ['c', 1_020]], 'same due time: in the order scheduled');
    assert.equal(clock.now(), 1_050);
    assert.equal(clock.pending, 1);
  });

  it('repeats intervals, fires timers scheduled by timers, and cancels', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    const interval = clock.setInterval(() => ticks.push(clock.now()), 10);
    clock.setTimeout(() => clock.setTimeout(() => ticks.push(-clock.now()), 5), 12);
    await clock.advance(30);
    interval.cancel();
    interval.cancel();
    await clock.advance(30);
    assert.deepEqual(ticks, [10, -17, 20, 30]);
  });

  it('drops a timer whose signal aborts', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    let fired = 0;
    clock.setTimeout(() => fired++, 10, controller.signal);
    clock.setInterval(() => fired++, 5, controller.signal);
    controller.abort();
    await clock.advance(100);
    assert.equal(fired, 0);
    assert.equal(clock.pending, 0);
  });

  it('moves time at once for a sleep by default, firing the timers on the way', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 30);
    await clock.sleep(50);
    assert.equal(clock.now(), 50);
    assert.deepEqual(fired, [30]);
    assert.deepEqual(clock.sleeps, [50]);
  });

  it('holds a sleep until its signal aborts, or times it like a timer', async () => {
    const held = new FakeClock(0, { holdSleeps: true });
    const controller = new AbortController();
    const waiting = held.sleep(10, controller.signal);
    await held.advance(1_000);
    controller.abort(new Error('stopped'));
    await assert.rejects(waiting, /stopped/);

    const timed = new FakeClock(0, { sleeps: 'timer' });
    let woke = -1;
    void timed.sleep(40).then(() => (woke = timed.now()));
    await timed.advance(39);
    assert.equal(woke, -1);
    await timed.advance(1);
    assert.equal(woke, 40);
  });

  it('advances until a condition holds, and says what it waited for when no timer can bring it', async () => {
    const clock = new FakeClock(0);
    let count = 0;
    clock.setInterval(() => count++, 100);
    assert.equal(await clock.advanceUntil('three ticks', () => (count === 3 ? clock.now() : undefined)), 300);
    await assert.rejects(clock.advanceUntil('never', () => undefined, { maxMs: 1_000 }), /never: not reached within 1000 ms of fake time/);
    const idle = new FakeClock(0);
    await assert.rejects(idle.advanceUntil('nothing', () => undefined, { idleMs: 20 }), /nothing: not reached, and no timer is left to fire/);
  });
});
