// The GNN trainer's learning, end to end over its real parts: synthetic markets served as the
// exchange would (klines), the graph-builder's snapshots, the dataset (labels, purged split, scaler
// from the training part), and every model trained with TensorFlow.js on its WASM backend.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { trainUniverse } from '../../src/actors/analytics/index.ts';
import type { UniverseTrainingResult } from '../../src/actors/analytics/index.ts';
import type { ModelBackend } from '../../src/actors/ports/index.ts';
import { createModelBackend } from '../../src/system/ml/index.ts';
import { syntheticSnapshots, syntheticSymbols } from '../helpers/synthetic-snapshots.ts';

let backend: ModelBackend;
before(async () => {
  backend = await createModelBackend('wasm');
});

function report(t: { diagnostic(message: string): void }, name: string, r: UniverseTrainingResult): void {
  t.diagnostic(`${name}: test ${r.dataset.test.count} snapshots × ${r.dataset.test.nodes} nodes, promoted ${r.promoted}`);
  for (const [model, m] of Object.entries(r.metrics)) {
    t.diagnostic(`  ${model.padEnd(9)} accuracy ${m.accuracy.toFixed(4)}  macro-F1 ${m.macro_f1.toFixed(4)}  log loss ${m.log_loss.toFixed(4)}`);
  }
}

function dispose(r: UniverseTrainingResult): void {
  for (const fit of Object.values(r.fits)) fit.model.dispose();
}

void describe('GNN training on synthetic markets', { timeout: 600_000 }, () => {
  void it('learns the planted clusters: the GCN beats its MLP and logistic baselines and the class priors, and is promoted', async (t) => {
    const snapshots = syntheticSnapshots({ kind: 'planted-clusters', symbols: syntheticSymbols('PLA', 12), clusters: 2, seed: 7, candles: 4000 });
    const tensors = backend.memory().numTensors;
    const r = await trainUniverse(snapshots, backend, { arch: 'gcn', horizon: 1, seed: 42 });
    report(t, 'planted clusters, 12 symbols in 2 clusters, 4000 hourly candles', r);
    const { gnn, mlp, logistic, majority } = r.metrics;
    assert.ok(gnn.accuracy >= majority.accuracy + 0.05, `the GCN learned something: ${gnn.accuracy} vs priors ${majority.accuracy}`);
    assert.ok(gnn.accuracy > mlp.accuracy + 0.01, `the graph adds over the MLP: ${gnn.accuracy} vs ${mlp.accuracy}`);
    assert.ok(gnn.accuracy > logistic.accuracy, `and over logistic regression: ${gnn.accuracy} vs ${logistic.accuracy}`);
    assert.ok(gnn.log_loss < mlp.log_loss && mlp.log_loss < majority.log_loss);
    assert.equal(r.promoted, true);
    assert.ok(r.fits.gnn.history.length >= r.fits.gnn.bestEpoch, 'history covers the best epoch');
    dispose(r);
    assert.equal(backend.memory().numTensors, tensors, 'no tensor outlives the run');
  });

  void it('finds nothing in independent random walks: every model within 0.02 of the class priors, nothing promoted (no leakage)', async (t) => {
    const snapshots = syntheticSnapshots({ kind: 'random-walks', symbols: syntheticSymbols('RWK', 12), seed: 8, candles: 3000 });
    const r = await trainUniverse(snapshots, backend, { arch: 'gcn', horizon: 1, seed: 42 });
    report(t, 'random walks, 12 symbols, 3000 hourly candles', r);
    for (const [model, m] of Object.entries(r.metrics)) {
      assert.ok(m.accuracy <= r.metrics.majority.accuracy + 0.02, `${model}: ${m.accuracy} vs priors ${r.metrics.majority.accuracy}`);
    }
    assert.equal(r.promoted, false);
    dispose(r);
  });

  void it('gives identical metrics and histories for the same seed, and different ones for another seed', async () => {
    const snapshots = syntheticSnapshots({ kind: 'planted-clusters', symbols: syntheticSymbols('DET', 6), seed: 9, candles: 1200 });
    const run = async (seed: number) => {
      const r = await trainUniverse(snapshots, backend, { arch: 'gatv2', horizon: 2, seed, epochs: 3 });
      dispose(r);
      return { metrics: r.metrics, history: r.fits.gnn.history.map(({ seconds: _, ...rest }) => rest) };
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.history, c.history);
  });
});
