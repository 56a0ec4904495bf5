import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { GraphSamples } from '../../src/actors/analytics/graph-samples.ts';
import type { ModelArch, ModelBackend } from '../../src/actors/ports/model-backend.ts';
import { createModelBackend } from '../../src/system/ml/index.ts';
import type { LabelSource } from './gnn-test-samples.ts';
import { syntheticGraphSamples } from './gnn-test-samples.ts';

let backend: ModelBackend;
before(async () => {
  backend = await createModelBackend('wasm');
});

/** Labels are split about evenly in three: always guessing one class scores about 1/3. */
const CHANCE = 1 / 3;

function accuracy(probabilities: Float32Array, samples: GraphSamples): number {
  let hits = 0;
  for (let n = 0; n < samples.labels.length; n++) {
    let best = 0;
    for (let c = 1; c < 3; c++) if ((probabilities[n * 3 + c] ?? 0) > (probabilities[n * 3 + best] ?? 0)) best = c;
    if (best === samples.labels[n]) hits++;
  }
  return hits / samples.labels.length;
}

/** Test-set accuracy of each architecture trained on the same samples (fixed seeds throughout). */
async function accuracies(labelsFrom: LabelSource, archs: readonly ModelArch[]): Promise<Record<string, number>> {
  const samples = (count: number, seed: number) => syntheticGraphSamples({ count, nodes: 10, features: 4, seed, labelsFrom });
  const [train, val, test] = [samples(320, 101), samples(80, 102), samples(160, 103)];
  const scores: Record<string, number> = {};
  for (const arch of archs) {
    const fit = await backend.fit(
      { arch, hidden: 16, heads: 4, dropout: 0.1, learningRate: 0.02, epochs: 30, patience: 5, batchSize: 32, seed: 7 },
      train,
      val,
    );
    scores[arch] = accuracy(fit.model.predict(test), test);
    fit.model.dispose();
  }
  return scores;
}

describe('learning on graph samples with a known answer', () => {
  it('where a node’s label depends on its neighbours only, the graph models clearly beat the graph-free baselines', async (t) => {
    const acc = await accuracies('neighbours', ['gcn', 'gatv2', 'mlp', 'logistic']);
    const { gcn = 0, gatv2 = 0, mlp = 0, logistic = 0 } = acc;
    t.diagnostic(`test accuracy: ${JSON.stringify(acc)}`);
    // Seen here: gcn 0.54, gatv2 0.76, mlp and logistic 0.32 (own features say nothing).
    assert.ok(mlp < CHANCE + 0.08 && logistic < CHANCE + 0.08, `baselines should be near chance: ${JSON.stringify(acc)}`);
    assert.ok(gcn > mlp + 0.12 && gcn > logistic + 0.12, `gcn should clearly beat the baselines: ${JSON.stringify(acc)}`);
    assert.ok(gatv2 > mlp + 0.12 && gatv2 > logistic + 0.12, `gatv2 should clearly beat the baselines: ${JSON.stringify(acc)}`);
  });

  it('where a node’s own features decide its label, every model beats chance', async (t) => {
    const acc = await accuracies('self', ['gcn', 'gatv2', 'mlp', 'logistic']);
    t.diagnostic(`test accuracy: ${JSON.stringify(acc)}`);
    for (const [arch, score] of Object.entries(acc)) assert.ok(score > CHANCE + 0.12, `${arch} at ${score}: ${JSON.stringify(acc)}`);
    // Seen here: mlp 0.92, logistic 0.93, gatv2 0.70, gcn 0.56. The baselines see exactly what decides
    // the label; GCN's aggregation mixes it with its neighbours' (no separate self weight).
    const { gcn = 0, mlp = 0, logistic = 0 } = acc;
    assert.ok(mlp > 0.75 && logistic > 0.75, JSON.stringify(acc));
    assert.ok(mlp > gcn && logistic > gcn, JSON.stringify(acc));
  });
});
