import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ErrorCodes } from '../../src/protocol/index.ts';
import { loadConfig } from '../../src/system/config/index.ts';
import { createModelBackend } from '../../src/system/ml/index.ts';

function tfjsNodeInstalled(): boolean {
  try {
    import.meta.resolve('@tensorflow/tfjs-node');
    return true;
  } catch (err) {
    if (err instanceof Error) return false;
    throw err;
  }
}

// One process, one tfjs backend: the order of these tests is the order a process would see.
describe('choosing the model backend (TF_BACKEND)', () => {
  it('reads TF_BACKEND: wasm by default, cpu or tensorflow when asked, anything else refused naming what is accepted', () => {
    assert.equal(loadConfig({}, {}).TF_BACKEND, 'wasm');
    assert.equal(loadConfig({}, { TF_BACKEND: 'cpu' }).TF_BACKEND, 'cpu');
    assert.equal(loadConfig({}, { TF_BACKEND: 'tensorflow' }).TF_BACKEND, 'tensorflow');
    assert.throws(() => loadConfig({}, { TF_BACKEND: 'gpu' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /TF_BACKEND/);
      assert.match(err.message, /"wasm"\|"cpu"\|"tensorflow"/);
      return true;
    });
  });

  it('without @tensorflow/tfjs-node, refuses tensorflow with a configuration error saying how to install it', { skip: tfjsNodeInstalled() && 'tfjs-node is installed here' }, async () => {
    await assert.rejects(createModelBackend('tensorflow'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, ErrorCodes.CONFIG_INVALID);
      assert.match(err.message, /@tensorflow\/tfjs-node, which is not installed/);
      assert.match(err.message, /npm install --save-exact @tensorflow\/tfjs-node@4\.22\.0/);
      assert.match(err.message, /TF_BACKEND=wasm or cpu/);
      return true;
    });
  });

  it('initialises the backend once: the same one for the same name, a refusal for another', async () => {
    const first = await createModelBackend('cpu');
    assert.equal(first.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(await createModelBackend('cpu'), first);
    await assert.rejects(createModelBackend('wasm'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /already uses the 'cpu' tfjs backend/);
      return true;
    });
    assert.equal(tf.getBackend(), 'cpu');
  });

  it('refuses to train when something else switched the process to another tfjs backend', async () => {
    const backend = await createModelBackend('cpu');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    try {
      const samples = { count: 1, nodes: 1, features: 1, x: new Float32Array(1), adjacency: new Float32Array(1), times: new Float64Array(1), labels: new Int32Array(1) };
      const params = { arch: 'logistic', hidden: 1, heads: 1, dropout: 0, learningRate: 0.1, epochs: 1, patience: 1, batchSize: 1, seed: 1 } as const;
      await assert.rejects(backend.fit(params, samples, samples), /tfjs backend of this process is 'wasm', not 'cpu'/);
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
