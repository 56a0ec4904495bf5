import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartBudget } from '../../src/actors/supervision/index.ts';
import type { SupervisionPolicy } from '../../src/actors/ports/index.ts';

const policy: SupervisionPolicy = { maxRestarts: 8, windowMs: 60_000, initialBackoffMs: 100, maxBackoffMs: 1_000 };

function delays(budget: RestartBudget, n: number): Array<number | undefined> {
  return Array.from({ length: n }, (_, i) => budget.next(i));
}

/** A fixed, repeatable sequence in [0, 1). */
function sequence(values: readonly number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe('RestartBudget', () => {
  it('doubles the backoff per restart up to the maximum (random at the top of its range)', () => {
    assert.deepEqual(delays(new RestartBudget(policy, () => 1), 6), [100, 200, 400, 800, 1_000, 1_000]);
  });

  it('jitters down to half the base (random at the bottom of its range)', () => {
    assert.deepEqual(delays(new RestartBudget(policy, () => 0), 6), [50, 100, 200, 400, 500, 500]);
  });

  it('keeps every jittered backoff within [base/2, base]', () => {
    const budget = new RestartBudget(policy, sequence([0.13, 0.92, 0.5, 0.01, 0.77, 0.999, 0.3, 0.64]));
    const bases = [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000];
    const got = delays(budget, bases.length);
    got.forEach((d, i) => {
      const base = bases[i] ?? 0;
      assert.ok(d !== undefined && d >= base / 2 && d <= base, `restart ${i + 1}: ${d} within [${base / 2}, ${base}]`);
    });
    assert.equal(got[2], 300, 'random 0.5 lands in the middle');
    assert.ok(new Set(got.slice(4)).size > 1, 'equal bases still get different delays');
  });

  it('is spent after maxRestarts within the window', () => {
    const budget = new RestartBudget({ ...policy, maxRestarts: 3 }, () => 1);
    assert.deepEqual([budget.next(0), budget.next(10), budget.next(20)], [100, 200, 400]);
    assert.equal(budget.attempts, 3);
    assert.equal(budget.next(30), undefined);
    assert.equal(budget.next(59_999), undefined, 'still inside the window of the first restart');
    assert.equal(budget.attempts, 3, 'a refused restart is not counted');
  });

  it('slides the window: restarts older than windowMs stop counting', () => {
    const budget = new RestartBudget({ ...policy, maxRestarts: 2, windowMs: 1_000 }, () => 1);
    assert.equal(budget.next(0), 100);
    assert.equal(budget.next(500), 200);
    assert.equal(budget.next(999), undefined);
    // The restart at 0 has left the window; one (at 500) remains, so this is the second in the window.
    assert.equal(budget.next(1_000), 200);
    assert.equal(budget.attempts, 2);
    assert.equal(budget.next(1_499), undefined);
    // Both earlier ones gone: the backoff starts from the beginning again.
    assert.equal(budget.next(2_000), 100);
    assert.equal(budget.attempts, 1);
  });
});
