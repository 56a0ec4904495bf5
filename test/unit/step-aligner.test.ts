import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StepAligner } from '../../src/actors/analytics/index.ts';
import type { CandleFields } from '../../src/actors/analytics/index.ts';

const c = (t: number): CandleFields => ({ open_time: t, open: '1', high: '1', low: '1', close: '1', volume: '1' });
const times = (steps: ReturnType<StepAligner['release']>) => steps.map((s) => [s.time, s.candles.map((x) => (x ? 1 : 0)).join('')]);

void describe('StepAligner', () => {
  void it('releases nothing until every symbol has a first candle', () => {
    const a = new StepAligner(2, 10_000);
    a.add(0, [c(1), c(2), c(3)], 0);
    assert.deepEqual(a.release(0), []);
    a.add(1, [c(1)], 0);
    assert.deepEqual(times(a.release(0)), [[1, '11']]);
  });

  void it('releases a step once every symbol has reached it, keeping the rest for later', () => {
    const a = new StepAligner(2, 10_000);
    a.add(0, [c(1), c(2), c(3), c(4)], 0);
    a.add(1, [c(1), c(3)], 0);
    // Symbol 1 has no candle at 2 but has reached 3: step 2 is complete with a hole.
    assert.deepEqual(times(a.release(0)), [[1, '11'], [2, '10'], [3, '11']]);
    a.add(1, [c(4)], 1);
    assert.deepEqual(times(a.release(1)), [[4, '11']]);
  });

  void it('stops waiting for a symbol silent longer than the grace, and drops its late candles', () => {
    const a = new StepAligner(2, 1_000);
    a.add(0, [c(1)], 0);
    a.add(1, [c(1)], 0);
    assert.equal(a.release(0).length, 1);
    a.add(0, [c(2), c(3)], 500);
    assert.deepEqual(a.release(500), [], 'symbol 1 is within its grace: wait');
    a.add(0, [c(4)], 2_000);
    assert.deepEqual(times(a.release(2_000)), [[2, '10'], [3, '10'], [4, '10']]);
    a.add(1, [c(2), c(5)], 2_100);
    a.add(0, [c(5)], 2_100);
    assert.deepEqual(times(a.release(2_100)), [[5, '11']], 'the late candle at 2 is dropped');
  });

  void it('releases everything pending when asked to, in time order', () => {
    const a = new StepAligner(3, 10_000);
    a.add(0, [c(1), c(2)], 0);
    a.add(1, [c(1)], 0);
    a.add(2, [c(2), c(3)], 0);
    assert.deepEqual(times(a.release(0, true)), [[1, '110'], [2, '101'], [3, '001']]);
    assert.equal(a.released, 3);
  });
});
