import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { GraphSamples } from '../../src/actors/analytics/graph-samples.ts';
import type { EpochStats, ModelArch, ModelBackend, ModelHyperparameters } from '../../src/actors/ports/model-backend.ts';
import { ErrorCodes, ValidationError } from '../../src/protocol/index.ts';
import { createModelBackend } from '../../src/system/ml/index.ts';
import { syntheticGraphSamples } from './gnn-test-samples.ts';

let backend: ModelBackend;
before(async () => {
  backend = await createModelBackend('wasm');
});

const small = (count: number, seed: number, labelsFrom: 'self' | 'neighbours' = 'neighbours'): GraphSamples =>
  syntheticGraphSamples({ count, nodes: 6, features: 4, seed, labelsFrom });
const train = small(96, 1);
const val = small(32, 2);

function params(arch: ModelArch, overrides: Partial<ModelHyperparameters> = {}): ModelHyperparameters {
  return { arch, hidden: 8, heads: 2, dropout: 0.2, learningRate: 0.02, epochs: 4, patience: 10, batchSize: 16, seed: 11, ...overrides };
}

const withoutTimes = (history: readonly EpochStats[]) => history.map(({ seconds: _seconds, ...rest }) => rest);

/** Mean cross-entropy of predicted probabilities against labels, computed here from the outputs alone. */
function crossEntropy(probabilities: Float32Array, samples: GraphSamples): number {
  let sum = 0;
  for (let n = 0; n < samples.labels.length; n++) sum -= Math.log(probabilities[n * 3 + (samples.labels[n] ?? 0)] ?? 0);
  return sum / samples.labels.length;
}

function rejectsWith(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    assert.equal(err.code, ErrorCodes.VALIDATION);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('TfjsModelBackend', () => {
  it('reports its backend', () => {
    assert.equal(backend.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  for (const arch of ['gcn', 'gatv2', 'mlp'] as const) {
    it(`${arch}: the same seed gives the same history, predictions and weights; another seed does not`, async () => {
      const runs = [];
      for (const seed of [11, 11, 12]) {
        const fit = await backend.fit(params(arch, { seed }), train, val);
        runs.push({ history: withoutTimes(fit.history), predictions: fit.model.predict(val), weights: (await fit.model.serialize()).weights });
        fit.model.dispose();
      }
      const [a, b, c] = runs;
      assert.ok(a !== undefined && b !== undefined && c !== undefined);
      assert.deepEqual(b.history, a.history);
      assert.deepEqual(b.predictions, a.predictions);
      assert.deepEqual(b.weights, a.weights);
      assert.notDeepEqual(c.history, a.history);
      assert.notDeepEqual(c.predictions, a.predictions);
    });
  }

  it('calls onEpoch with each epoch of the history, numbered from 1', async () => {
    const seen: EpochStats[] = [];
    const fit = await backend.fit(params('logistic', { epochs: 3 }), train, val, { onEpoch: (stats) => seen.push(stats) });
    fit.model.dispose();
    assert.deepEqual(seen, fit.history);
    assert.deepEqual(seen.map((s) => s.epoch), [1, 2, 3]);
    for (const s of seen) {
      assert.ok(s.loss > 0 && s.val_loss > 0 && s.seconds > 0);
      assert.ok(s.val_accuracy >= 0 && s.val_accuracy <= 1);
    }
  });

  it('stops after `patience` epochs without a better validation loss and keeps the best epoch’s weights', async () => {
    // Labels that are pure noise, few snapshots and a wide model: validation loss soon rises.
    const noise = syntheticGraphSamples({ count: 24, nodes: 6, features: 4, seed: 5, labelsFrom: 'self', noise: 1 });
    const heldOut = syntheticGraphSamples({ count: 64, nodes: 6, features: 4, seed: 6, labelsFrom: 'self', noise: 1 });
    const patience = 3;
    const fit = await backend.fit(params('mlp', { hidden: 64, dropout: 0, learningRate: 0.05, epochs: 200, patience }), noise, heldOut);
    try {
      const losses = fit.history.map((h) => h.val_loss);
      const best = Math.min(...losses);
      assert.ok(fit.history.length < 200, `ran all ${fit.history.length} epochs`);
      assert.equal(losses.indexOf(best) + 1, fit.bestEpoch);
      assert.equal(fit.history.length, fit.bestEpoch + patience);
      const restored = crossEntropy(fit.model.predict(heldOut), heldOut);
      assert.ok(Math.abs(restored - best) < 1e-5, `restored model's loss ${restored}, best epoch's ${best}`);
      const last = losses.at(-1) ?? NaN;
      assert.ok(last - best > 1e-3, `last epoch ${last} vs best ${best}: the test needs a clear rise`);
    } finally {
      fit.model.dispose();
    }
  });

  for (const arch of ['gcn', 'gatv2', 'mlp', 'logistic'] as const) {
    it(`${arch}: saves tfjs model.json + weights and loads a model predicting exactly the same`, async () => {
      const fit = await backend.fit(params(arch, { epochs: 2 }), train, val);
      const artifacts = await fit.model.serialize();
      const json = JSON.parse(artifacts.modelJson) as {
        format: string;
        modelTopology: { class_name: string; config: { layers: Array<{ class_name: string }> } };
        weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string }> }>;
        userDefinedMetadata: { streamforge: { arch: string; backend: string; features: number; labelClasses: string[] } };
      };
      assert.equal(json.format, 'layers-model');
      assert.deepEqual(json.weightsManifest.map((g) => g.paths), [['weights.bin']]);
      const bytes = json.weightsManifest[0]?.weights.reduce((n, w) => n + 4 * w.shape.reduce((p, d) => p * d, 1), 0);
      assert.equal(bytes, artifacts.weights.byteLength);
      assert.deepEqual(json.userDefinedMetadata.streamforge.labelClasses, ['UP', 'DOWN', 'FLAT']);
      assert.equal(json.userDefinedMetadata.streamforge.arch, arch);
      assert.equal(json.userDefinedMetadata.streamforge.backend, 'wasm');
      const layerClasses = json.modelTopology.config.layers.map((l) => l.class_name);
      if (arch === 'gcn') assert.ok(layerClasses.includes('GcnConv'), layerClasses.join());
      if (arch === 'gatv2') assert.ok(layerClasses.includes('GatV2Conv'), layerClasses.join());

      const expected = fit.model.predict(val);
      // As read back from a file or an object store: a Node Buffer that is a view into a larger pool.
      const pooled = Buffer.concat([Buffer.alloc(13, 7), Buffer.from(artifacts.weights)]).subarray(13);
      const loaded = await backend.load(arch, { modelJson: artifacts.modelJson, weights: pooled });
      assert.deepEqual(loaded.predict(val), expected);
      // tfjs's own loader reads the same files (the custom layers are registered).
      const plain = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0]?.weights as tf.io.WeightsManifestEntry[],
          weightData: artifacts.weights.slice().buffer,
        }),
      );
      const x = tf.tensor3d(val.x, [val.count, val.nodes, val.features]);
      const a = tf.tensor3d(val.adjacency, [val.count, val.nodes, val.nodes]);
      assert.deepEqual(plain.inputNames, arch === 'gcn' || arch === 'gatv2' ? ['node_features', 'adjacency'] : ['node_features']);
      const plainOut = plain.predict(plain.inputs.length === 2 ? [x, a] : x) as tf.Tensor;
      assert.deepEqual(plainOut.dataSync(), expected);
      tf.dispose([x, a, plainOut]);
      plain.dispose();
      loaded.dispose();
      fit.model.dispose();
    });
  }

  it('refuses artifacts that are not what they claim', async () => {
    const fit = await backend.fit(params('logistic', { epochs: 1 }), train, val);
    const artifacts = await fit.model.serialize();
    fit.model.dispose();
    await assert.rejects(backend.load('gcn', artifacts), rejectsWith(/hold a logistic model, not gcn/));
    await assert.rejects(backend.load('logistic', { ...artifacts, weights: artifacts.weights.subarray(4) }), rejectsWith(/describes/));
    await assert.rejects(backend.load('logistic', { ...artifacts, modelJson: '{"format":' }), rejectsWith(/not JSON/));
    await assert.rejects(backend.load('logistic', { ...artifacts, modelJson: '{"format":"graph-model"}' }), rejectsWith(/not a tfjs layers model/));
  });

  it('leaks no tensor: flat across epochs, and back to where it started after fit, predict, serialize, load and dispose', async () => {
    const start = backend.memory().numTensors;
    const perEpoch: number[] = [];
    const fit = await backend.fit(params('gcn', { epochs: 5 }), train, val, { onEpoch: () => perEpoch.push(backend.memory().numTensors) });
    assert.equal(new Set(perEpoch).size, 1, `tensors per epoch: ${perEpoch.join(', ')}`);
    const held = backend.memory().numTensors;
    fit.model.predict(val);
    const artifacts = await fit.model.serialize();
    assert.equal(backend.memory().numTensors, held);
    const loaded = await backend.load('gcn', artifacts);
    loaded.predict(val);
    loaded.dispose();
    assert.equal(backend.memory().numTensors, held);
    fit.model.dispose();
    fit.model.dispose();
    assert.equal(backend.memory().numTensors, start);
    assert.throws(() => fit.model.predict(val), /disposed/);
  });

  it('stops when its signal is aborted, leaking nothing', async () => {
    const start = backend.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error('trainer stopped');
    await assert.rejects(
      backend.fit(params('gcn', { epochs: 50 }), train, val, { signal: controller.signal, onEpoch: () => controller.abort(reason) }),
      (err: unknown) => err === reason,
    );
    assert.equal(backend.memory().numTensors, start);
  });

  it('refuses hyperparameters it cannot use, naming each and what is accepted', async () => {
    await assert.rejects(
      backend.fit(params('gatv2', { hidden: 10, heads: 4, dropout: 1, learningRate: 0, batchSize: 0 }), train, val),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        for (const field of ['hidden must be a multiple of heads', 'at dropout', 'at learningRate', 'at batchSize']) assert.match(err.message, new RegExp(field));
        return true;
      },
    );
  });

  it('refuses samples whose arrays do not match their counts or hold unusable values', async () => {
    const p = params('gcn');
    await assert.rejects(backend.fit(p, { ...train, x: train.x.subarray(1) }, val), rejectsWith(/train\.x has 2303 values where \[count, nodes, features\] needs 2304/));
    const badLabels = Int32Array.from(train.labels);
    badLabels[5] = 3;
    await assert.rejects(backend.fit(p, { ...train, labels: badLabels }, val), rejectsWith(/train\.labels\[5\] is 3: labels are class indices 0-2 \(UP, DOWN, FLAT\)/));
    const nan = Float32Array.from(val.x);
    nan[7] = Number.NaN;
    await assert.rejects(backend.fit(p, train, { ...val, x: nan }), rejectsWith(/val\.x\[7\] is NaN/));
    const loop = Float32Array.from(train.adjacency);
    loop[36 + 7] = 0.5; // snapshot 1, node 1
    await assert.rejects(backend.fit(p, { ...train, adjacency: loop }, val), rejectsWith(/self loop \(0\.5\) at snapshot 1, node 1/));
    const otherFeatures = syntheticGraphSamples({ count: 8, nodes: 6, features: 3, seed: 1, labelsFrom: 'self' });
    await assert.rejects(backend.fit(p, train, otherFeatures), rejectsWith(/same features/));
    const fit = await backend.fit(params('logistic', { epochs: 1 }), train, val);
    assert.throws(() => fit.model.predict(otherFeatures), rejectsWith(/3 features; this logistic model was trained on 4/));
    fit.model.dispose();
  });
});
