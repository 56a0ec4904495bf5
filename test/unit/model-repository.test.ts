import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelRepository } from '../../src/actors/models/model-repository.ts';
import type { NewModel } from '../../src/actors/models/model-repository.ts';
import { ErrorCodes, ModelMetadata, StreamForgeError } from '../../src/protocol/index.ts';
import { FilesystemObjectStore } from '../../src/system/objects/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { rejectionOf } from '../helpers/rejection-of.ts';

const score = { accuracy: 0.4, macro_f1: 0.35, log_loss: 1.07 };
const period = (from: number, to: number, samples: number) => ({
  from: new Date(from).toISOString(),
  to: new Date(to).toISOString(),
  from_ms: from,
  to_ms: to,
  samples,
});

function newModel(id: string, createdMs: number, promoted: boolean, universe = 'u-1h-aaaa'): NewModel {
  return {
    id,
    created_at: new Date(createdMs).toISOString(),
    created_at_ms: createdMs,
    queue_id: 'wf-multi-gnn_train-20240101-abcdef',
    universe,
    symbols: ['BTCUSDT', 'ETHUSDT'],
    interval: '1h',
    horizon: 1,
    window: 168,
    edges: { kind: 'threshold', threshold: 0.3 },
    features: ['log_return'],
    data: { from: new Date(0).toISOString(), to: new Date(100).toISOString(), from_ms: 0, to_ms: 100 },
    split: { train: period(0, 10, 10), val: period(20, 30, 10), test: period(40, 50, 10), gap: 5 },
    flat_band: 0.001,
    priors: [0.34, 0.33, 0.33],
    scaler: { features: ['log_return'], mean: [0], std: [1] },
    hyperparameters: { arch: 'gcn', hidden: 16, heads: 4, dropout: 0.1, learning_rate: 0.01, epochs: 60, patience: 8, batch_size: 64 },
    seed: 42,
    backend: 'wasm',
    metrics: { gnn: score, mlp: score, logistic: score, majority: score },
    promoted,
    history: [{ epoch: 1, loss: 1.1, val_loss: 1.09, val_accuracy: 0.36, seconds: 0.5 }],
    best_epoch: 1,
    code_version: '0.1.0',
  };
}

const artifacts = (tag: string) => ({ modelJson: JSON.stringify({ format: 'layers-model', tag }), weights: new Uint8Array([1, 2, 3, tag.length]) });

async function withRepository(keep: number, fn: (repo: ModelRepository, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-models-'));
  const store = new EmbeddedStore(dir);
  const objects = new FilesystemObjectStore(dir, { topLevel: ['models'] });
  const repo = new ModelRepository({ objects, store, keep });
  try {
    await repo.init();
    await fn(repo, dir);
  } finally {
    await store.close();
    await objects.close();
    await rm(dir, { recursive: true, force: true });
  }
}

void describe('ModelRepository', () => {
  void it('writes model.json, weights.bin and metadata.json, lists the model and reads its files back checked', () =>
    withRepository(10, async (repo, dir) => {
      const saved = await repo.save(newModel('m-1', 1000, true), artifacts('a'));
      assert.deepEqual(saved.files, { model: 'models/m-1/model.json', weights: 'models/m-1/weights.bin', metadata: 'models/m-1/metadata.json' });
      assert.match(saved.uri, /^file:\/\/.*\/models\/m-1\/$/);
      const onDisk = ModelMetadata.parse(JSON.parse(await readFile(join(dir, 'models', 'm-1', 'metadata.json'), 'utf8')));
      assert.deepEqual(onDisk, saved);
      assert.deepEqual((await repo.list()).map((m) => m.id), ['m-1']);
      const back = await repo.artifacts(saved);
      assert.equal(back.modelJson, artifacts('a').modelJson);
      assert.deepEqual([...back.weights], [...artifacts('a').weights]);
    }));

  void it('refuses files that no longer match their checksums', () =>
    withRepository(10, async (repo, dir) => {
      const saved = await repo.save(newModel('m-1', 1000, true), artifacts('a'));
      await writeFile(join(dir, 'models', 'm-1', 'weights.bin'), new Uint8Array([9, 9, 9]));
      const err = await rejectionOf('artifacts of a damaged model', () => repo.artifacts(saved));
      assert.ok(err instanceof StreamForgeError && err.code === ErrorCodes.MODEL_CORRUPT && /weights\.bin has sha256/.test(err.message), String(err));
    }));

  void it('resolves latest to the newest promoted model, and says what is wrong with an unknown or malformed id', () =>
    withRepository(10, async (repo) => {
      await assert.rejects(repo.resolve('latest'), (e: unknown) => e instanceof StreamForgeError && e.code === ErrorCodes.NOT_FOUND && /no promoted model/.test(e.message));
      await repo.save(newModel('m-1', 1000, true), artifacts('a'));
      await repo.save(newModel('m-2', 2000, false), artifacts('b'));
      assert.equal((await repo.resolve('latest')).id, 'm-1');
      assert.equal((await repo.resolve('m-2')).id, 'm-2');
      await assert.rejects(repo.resolve('m-9'), (e: unknown) => e instanceof StreamForgeError && e.code === ErrorCodes.NOT_FOUND);
      await assert.rejects(repo.resolve('../etc'), (e: unknown) => e instanceof StreamForgeError && e.code === ErrorCodes.VALIDATION);
    }));

  void it('keeps the newest versions of a universe and its newest promoted one, deleting the rest from registry and object store', () =>
    withRepository(2, async (repo, dir) => {
      await repo.save(newModel('m-1', 1000, true), artifacts('a'));
      await repo.save(newModel('other-1', 1500, false, 'u-other'), artifacts('o'));
      for (const [i, t] of [2000, 3000, 4000].entries()) await repo.save(newModel(`m-${i + 2}`, t, false), artifacts(`v${i}`));
      assert.deepEqual((await repo.list()).map((m) => m.id), ['m-4', 'm-3', 'other-1', 'm-1']);
      const objects = new FilesystemObjectStore(dir, { topLevel: ['models'] });
      assert.deepEqual(await objects.list('models/m-2/'), []);
      assert.equal((await objects.list('models/m-1/')).length, 3, 'the promoted model stays');
    }));
});
