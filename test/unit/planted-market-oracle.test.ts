import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import {
  LabelClasses,
  buildGraphDataset,
  classPriors,
  classificationMetrics,
  majorityBaseline,
} from '../../src/actors/analytics/index.ts';
import type { ClassificationMetrics, GraphDataset, SplitPart } from '../../src/actors/analytics/index.ts';
import type { GraphSnapshot } from '../../src/protocol/index.ts';
import { syntheticSnapshots } from '../helpers/synthetic-snapshots.ts';
import { classProbabilities, fitLinearForecast, predict } from '../helpers/linear-forecast.ts';

/**
 * How much a graph can tell, measured with simple optimal-for-the-model predictors on the
 * synthetic markets, through the real pipeline (simulator klines → snapshots → labels, split,
 * band): a least-squares forecast of the next log return from (a) the node's own return, (b) all
 * seven of its own features (the information an MLP has), (c) the mean return of its true
 * cluster, (d) the mean return of the node and its graph neighbours (what a GCN aggregates),
 * each turned into class probabilities with a Gaussian residual and scored on the test part.
 */
const FROM = Date.UTC(2024, 0, 1);
const CANDLES = 9000;
const SYMBOLS = Array.from({ length: 12 }, (_, i) => `ORC${String.fromCharCode(65 + i)}USDT`);
const CLUSTERS = 3;

type Predictors = (s: GraphSnapshot, i: number) => number[];

const own: Predictors = (s, i) => [s.returns[i] ?? 0];
const ownFeatures: Predictors = (s, i) => s.x[i] ?? [];
const clusterMean: Predictors = (s, i) => {
  const members = s.returns.filter((_, j) => j % CLUSTERS === i % CLUSTERS);
  return [members.reduce((a, b) => a + b, 0) / members.length];
};
const graphMean: Predictors = (s, i) => {
  const neighbours = s.edges.flatMap((e) => (e.source === i ? [e.target] : e.target === i ? [e.source] : []));
  const values = [i, ...neighbours].map((j) => s.returns[j] ?? 0);
  return [values.reduce((a, b) => a + b, 0) / values.length];
};

function snapshotsOf(kind: 'planted-clusters' | 'random-walks', seed: number): GraphSnapshot[] {
  return syntheticSnapshots({ kind, symbols: SYMBOLS, seed, candles: CANDLES, fromMs: FROM });
}

function rowsOf(snapshots: readonly GraphSnapshot[], part: SplitPart, predictors: Predictors): { x: number[]; y: number[]; p: number } {
  const x: number[] = [];
  const y: number[] = [];
  let p = 0;
  for (let t = part.start; t < part.end; t++) {
    const s = snapshots[t] as GraphSnapshot;
    for (let i = 0; i < SYMBOLS.length; i++) {
      const row = predictors(s, i);
      p = row.length;
      x.push(...row);
      y.push(snapshots[t + 1]?.returns[i] ?? 0);
    }
  }
  return { x, y, p };
}

function oracle(snapshots: readonly GraphSnapshot[], ds: GraphDataset, predictors: Predictors): ClassificationMetrics {
  const train = rowsOf(snapshots, ds.split.train, predictors);
  const fit = fitLinearForecast(train.x, train.y, train.p);
  const test = rowsOf(snapshots, ds.split.test, predictors);
  const probs = new Float32Array(test.y.length * LabelClasses.length);
  for (let r = 0; r < test.y.length; r++) classProbabilities(predict(fit.weights, test.x, r, test.p), fit.residualSd, ds.flatBand, probs, r * 3);
  return classificationMetrics(ds.test.labels, probs, LabelClasses.length);
}

function evaluate(t: TestContext, name: string, snapshots: readonly GraphSnapshot[]): Record<string, ClassificationMetrics> {
  const ds = buildGraphDataset(snapshots, { horizon: 1 });
  const baseline = classificationMetrics(ds.test.labels, majorityBaseline(classPriors(ds.train.labels, 3), ds.test.labels.length), 3);
  const results = {
    baseline,
    own: oracle(snapshots, ds, own),
    ownFeatures: oracle(snapshots, ds, ownFeatures),
    clusterMean: oracle(snapshots, ds, clusterMean),
    graphMean: oracle(snapshots, ds, graphMean),
  };
  t.diagnostic(`${name}: ${snapshots.length} snapshots, test ${ds.test.count} × ${SYMBOLS.length} nodes, FLAT band ${ds.flatBand.toExponential(3)}`);
  for (const [k, m] of Object.entries(results)) {
    t.diagnostic(`  ${k.padEnd(12)} accuracy ${m.accuracy.toFixed(4)}  macro-F1 ${m.macroF1.toFixed(4)}  log loss ${m.logLoss.toFixed(4)}`);
  }
  return results;
}

describe('oracle predictors on the synthetic markets (what a graph model can gain)', () => {
  it('planted clusters: the cluster mean predicts clearly better than the node itself, and the correlation graph recovers most of it', (t) => {
    const snapshots = snapshotsOf('planted-clusters', 31);
    const r = evaluate(t, 'planted clusters (12 symbols, 3 clusters, 9000 hourly candles)', snapshots);
    const edgesPerSnapshot = snapshots.reduce((a, s) => a + s.edges.length, 0) / snapshots.length;
    const across = snapshots.reduce((a, s) => a + s.edges.filter((e) => e.source % CLUSTERS !== e.target % CLUSTERS).length, 0) / snapshots.length;
    t.diagnostic(`  edges per snapshot ${edgesPerSnapshot.toFixed(3)} (18 pairs inside clusters), across clusters ${across.toFixed(4)}`);
    const acc = (k: string): number => r[k]?.accuracy ?? Number.NaN;
    const loss = (k: string): number => r[k]?.logLoss ?? Number.NaN;
    assert.ok(acc('own') >= acc('baseline') + 0.03, 'the own return alone carries some signal');
    assert.ok(acc('clusterMean') >= acc('own') + 0.015, `cluster mean ${acc('clusterMean')} vs own ${acc('own')}`);
    assert.ok(acc('clusterMean') >= acc('ownFeatures') + 0.01, `cluster mean ${acc('clusterMean')} vs own features ${acc('ownFeatures')}`);
    assert.ok(acc('graphMean') >= acc('own') + 0.01, `graph neighbours ${acc('graphMean')} vs own ${acc('own')}`);
    assert.ok(loss('clusterMean') < loss('own') && loss('own') < loss('baseline'), 'log loss follows');
  });

  it('independent random walks: no predictor beats the majority baseline by more than 0.02', (t) => {
    const r = evaluate(t, 'random walks (12 symbols, 9000 hourly candles)', snapshotsOf('random-walks', 32));
    const base = r.baseline?.accuracy ?? Number.NaN;
    for (const [k, m] of Object.entries(r)) assert.ok(m.accuracy <= base + 0.02, `${k}: ${m.accuracy} vs baseline ${base}`);
  });
});
