import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FeatureScaler,
  LabelClasses,
  buildGraphDataset,
  flatBand,
  graphInputs,
  minimumSnapshots,
  purgedSplit,
} from '../../src/actors/analytics/index.ts';
import type { DatasetSnapshot } from '../../src/actors/analytics/index.ts';

const UP = LabelClasses.indexOf('UP');
const DOWN = LabelClasses.indexOf('DOWN');
const FLAT = LabelClasses.indexOf('FLAT');

/** Snapshots of 2 nodes with features [t, i] and returns from `returnOf`, one edge 0–1 of weight 0.5. */
function snapshots(count: number, window: number, returnOf: (t: number, i: number) => number): DatasetSnapshot[] {
  return Array.from({ length: count }, (_, t) => ({
    time: 1_000 + t * 10,
    window,
    symbols: ['A', 'B'],
    features: ['f0', 'f1'],
    x: [
      [t, 0],
      [t * 2, 1],
    ],
    returns: [returnOf(t, 0), returnOf(t, 1)],
    edges: [{ source: 0, target: 1, weight: 0.5 }],
  }));
}

const wave = (t: number, i: number): number => Math.sin(t * 1.7 + i) * 0.01;

describe('purgedSplit', () => {
  it('splits 70/15/15 in time order with the gap between parts', () => {
    const split = purgedSplit(1000, 20);
    assert.deepEqual(split, { train: { start: 0, end: 672 }, val: { start: 692, end: 836 }, test: { start: 856, end: 1000 }, gap: 20 });
  });

  it('refuses shares that are not a partition', () => {
    assert.throws(() => purgedSplit(1000, 5, { train: 0.8, val: 0.15, test: 0.15 }), /sum to 1/);
    assert.throws(() => purgedSplit(1000, 5, { train: 1, val: 0, test: 0 }), /positive/);
  });
});

describe('buildGraphDataset', () => {
  it('labels each snapshot by the sum of the next `horizon` returns against a band from training labels', () => {
    const window = 3;
    const horizon = 2;
    const data = snapshots(200, window, wave);
    const ds = buildGraphDataset(data, { horizon });
    assert.equal(ds.split.gap, window + horizon);
    const check = (part: 'train' | 'val' | 'test'): void => {
      const range = ds.split[part];
      const samples = ds[part];
      assert.equal(samples.count, range.end - range.start);
      for (let k = 0; k < samples.count; k++) {
        const t = range.start + k;
        assert.equal(samples.times[k], data[t]?.time);
        for (let i = 0; i < 2; i++) {
          const forward = wave(t + 1, i) + wave(t + 2, i);
          const expected = forward > ds.flatBand ? UP : forward < -ds.flatBand ? DOWN : FLAT;
          assert.equal(samples.labels[k * 2 + i], expected, `${part} t=${t} node ${i}`);
        }
      }
    };
    check('train');
    check('val');
    check('test');
    const trainForward = Array.from({ length: ds.split.train.end }, (_, t) => [0, 1].map((i) => wave(t + 1, i) + wave(t + 2, i))).flat();
    assert.equal(ds.flatBand, flatBand(trainForward, 1 / 3));
    const flats = Array.from(ds.train.labels).filter((l) => l === FLAT).length / ds.train.labels.length;
    assert.ok(Math.abs(flats - 1 / 3) < 0.01, `FLAT share of training labels ${flats}`);
  });

  it('reads nothing after the training period for the band and the scaler (the later parts can change freely)', () => {
    const data = snapshots(300, 5, wave);
    const base = buildGraphDataset(data);
    const trainEnd = base.split.train.end;
    // Labels of the last training snapshot read returns up to trainEnd − 1 + horizon; everything later may change.
    const changed = data.map((s, t) => (t <= trainEnd ? s : { ...s, x: [[99, 99], [-99, 5]], returns: [0.5, -0.7] }));
    const other = buildGraphDataset(changed);
    assert.equal(other.flatBand, base.flatBand);
    assert.deepEqual(other.scaler.toState(), base.scaler.toState());
    assert.deepEqual(other.train, base.train);
    assert.notDeepEqual(other.test.labels, base.test.labels);
  });

  it('leaves window + horizon snapshots between parts, so no label reads a return a later feature window reads', () => {
    for (const [window, horizon] of [[3, 1], [10, 4], [168, 1]] as const) {
      const ds = buildGraphDataset(snapshots(2000, window, wave), { horizon });
      for (const [a, b] of [[ds.split.train, ds.split.val], [ds.split.val, ds.split.test]] as const) {
        const lastLabelReturn = a.end - 1 + horizon; // the label of a.end − 1 sums returns up to here
        const firstFeatureReturn = b.start - window + 1; // the correlation window of b.start starts here
        assert.ok(lastLabelReturn < firstFeatureReturn, `window ${window}, horizon ${horizon}: ${lastLabelReturn} < ${firstFeatureReturn}`);
        assert.equal(b.start - a.end, window + horizon);
      }
      assert.equal(ds.split.test.end, 2000 - horizon, 'the last `horizon` snapshots have no label');
    }
  });

  it('normalises with training statistics, stored and restored exactly', () => {
    const data = snapshots(400, 4, wave);
    const ds = buildGraphDataset(data);
    const f0 = Array.from({ length: ds.train.count * 2 }, (_, k) => ds.train.x[k * 2] ?? 0);
    const mean = f0.reduce((a, b) => a + b, 0) / f0.length;
    const sd = Math.sqrt(f0.reduce((a, b) => a + (b - mean) ** 2, 0) / f0.length);
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-5, `train feature 0: mean ${mean}, sd ${sd}`);
    const restored = FeatureScaler.fromState(JSON.parse(JSON.stringify(ds.scaler.toState())));
    const again = graphInputs(data.slice(ds.split.test.start, ds.split.test.end), restored);
    assert.deepEqual(again.x, ds.test.x);
    assert.deepEqual(again.adjacency, ds.test.adjacency);
    const one = graphInputs([data[350] as DatasetSnapshot], restored);
    assert.equal(one.count, 1);
    assert.deepEqual(Array.from(one.adjacency), [0, 0.5, 0.5, 0], 'symmetric, zero diagonal');
  });

  it('says how many snapshots it needs when the range is too short, and works with exactly that many', () => {
    const minimum = minimumSnapshots(10, 2);
    assert.equal(minimum, 2 * 12 + 7 + 2, 'two gaps of 12, 7 labelled snapshots for 70/15/15 to leave one in each part, 2 unlabelled');
    assert.throws(
      () => buildGraphDataset(snapshots(minimum - 1, 10, wave), { horizon: 2 }),
      (err: Error) => err.message.includes(`too few snapshots: ${minimum - 1}, at least ${minimum} needed for window 10, horizon 2`),
    );
    const ds = buildGraphDataset(snapshots(minimum, 10, wave), { horizon: 2 });
    assert.ok(ds.train.count >= 1 && ds.val.count >= 1 && ds.test.count >= 1);
  });

  it('refuses inconsistent runs and a bad horizon', () => {
    const data = snapshots(100, 3, wave);
    assert.throws(() => buildGraphDataset([...data.slice(50), ...data.slice(0, 50)]), /increasing time/);
    assert.throws(() => buildGraphDataset(data, { horizon: 0 }), /horizon must be a positive whole number/);
    assert.throws(() => buildGraphDataset(data.map((s, t) => (t === 60 ? { ...s, window: 4 } : s))), /window 4, the first 3/);
    assert.throws(() => graphInputs(data.map((s) => ({ ...s, features: ['f0', 'g'] })), buildGraphDataset(data).scaler), /differ from the model's/);
    assert.throws(() => FeatureScaler.fromState({ features: ['a'], mean: [0], std: [0] }), /invalid feature scaler/);
  });
});
