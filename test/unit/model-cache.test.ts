import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrainedModel } from '../../src/actors/index.ts';
import { ModelCache } from '../../src/system/query/index.ts';

/** A loaded model that records its disposal and refuses use after it, as tfjs models do. */
class CountingModel implements TrainedModel {
  readonly arch = 'gcn' as const;
  readonly id: string;
  disposed = false;
  constructor(id: string) {
    this.id = id;
  }
  predict(): Float32Array {
    if (this.disposed) throw new Error(`${this.id} used after dispose`);
    return new Float32Array(3);
  }
  serialize(): never {
    throw new Error('not needed');
  }
  dispose(): void {
    this.disposed = true;
  }
}

function loader() {
  const loads: string[] = [];
  const models = new Map<string, CountingModel>();
  return {
    loads,
    models,
    load: (id: string) => () => {
      loads.push(id);
      const m = new CountingModel(id);
      models.set(id, m);
      return Promise.resolve(m);
    },
  };
}

describe('ModelCache', () => {
  it('loads a model once for concurrent and later calls', async () => {
    const cache = new ModelCache(2);
    const l = loader();
    const results = await Promise.all([1, 2, 3].map(() => cache.with('a', l.load('a'), (m) => m.predict({} as never).length)));
    assert.deepEqual(results, [3, 3, 3]);
    await cache.with('a', l.load('a'), (m) => m.predict({} as never));
    assert.deepEqual(l.loads, ['a']);
  });

  it('keeps the most recently used and disposes the one pushed out', async () => {
    const cache = new ModelCache(2);
    const l = loader();
    const use = (id: string) => cache.with(id, l.load(id), (m) => m.predict({} as never));
    await use('a');
    await use('b');
    await use('a');
    await use('c');
    assert.deepEqual(cache.ids, ['a', 'c']);
    assert.equal(l.models.get('b')?.disposed, true);
    assert.equal(l.models.get('a')?.disposed, false);
    await use('b');
    assert.deepEqual(l.loads, ['a', 'b', 'c', 'b'], 'b is loaded again');
  });

  it('disposes a model pushed out while in use only when that use ends', async () => {
    const cache = new ModelCache(1);
    const l = loader();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = cache.with('a', l.load('a'), async (m) => {
      await gate;
      return m.predict({} as never).length;
    });
    await cache.with('b', l.load('b'), (m) => m.predict({} as never));
    assert.equal(l.models.get('a')?.disposed, false, 'still in use');
    release();
    assert.equal(await slow, 3);
    assert.equal(l.models.get('a')?.disposed, true);
  });

  it('forgets a failed load, so the next call tries again; clear disposes everything', async () => {
    const cache = new ModelCache(2);
    await assert.rejects(cache.with('a', () => Promise.reject(new Error('corrupt')), () => 0), /corrupt/);
    assert.deepEqual(cache.ids, []);
    const l = loader();
    await cache.with('a', l.load('a'), () => 0);
    await cache.clear();
    assert.equal(l.models.get('a')?.disposed, true);
    assert.throws(() => new ModelCache(0), /at least 1 model/);
  });
});
