// The model service over a real embedded store and filesystem object store: predictions read the
// stored candles before `at` only, the backend is created on the first prediction and a model is
// loaded once. The backend is a small stand-in whose answer is a function of its inputs (tfjs is
// covered by the model-backend tests and the read-side integration test).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FeatureScaler, GraphSnapshotBuilder, alignCandles } from '../../src/actors/analytics/index.ts';
import type { GraphInputs } from '../../src/actors/analytics/index.ts';
import type { ModelBackend, TrainedModel } from '../../src/actors/index.ts';
import { ModelRepository } from '../../src/actors/models/model-repository.ts';
import type { NewModel } from '../../src/actors/models/model-repository.ts';
import { ErrorCodes, StreamForgeError, ValidationError } from '../../src/protocol/index.ts';
import type { Candle, GraphSnapshot } from '../../src/protocol/index.ts';
import { FilesystemObjectStore } from '../../src/system/objects/index.ts';
import { ModelService } from '../../src/system/query/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { randomCandles } from '../helpers/random-candles.ts';
import { storeCandles } from '../helpers/stored-candles.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
const iso = (ms: number) => new Date(ms).toISOString();

/** Per node: softmax of (Σ its features, Σ its adjacency row, 0): any change to the inputs shows. */
class InputsModel implements TrainedModel {
  readonly arch = 'gcn' as const;
  predict(inputs: GraphInputs): Float32Array {
    const { nodes: n, features: f } = inputs;
    const out = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const a = inputs.x.slice(i * f, (i + 1) * f).reduce((s, v) => s + v, 0);
      const b = inputs.adjacency.slice(i * n, (i + 1) * n).reduce((s, v) => s + v, 0);
      const e = [Math.exp(a), Math.exp(b), 1];
      const z = e.reduce((s, v) => s + v, 0);
      e.forEach((v, c) => (out[i * 3 + c] = v / z));
    }
    return out;
  }
  serialize(): never {
    throw new Error('not needed');
  }
  dispose(): void {}
}

function backendStandIn() {
  const calls = { created: 0, loads: 0 };
  const backend: ModelBackend = {
    name: 'cpu',
    fit: () => Promise.reject(new Error('not needed')),
    load: () => {
      calls.loads += 1;
      return Promise.resolve(new InputsModel());
    },
    memory: () => ({ numTensors: 0, numBytes: 0 }),
  };
  return { calls, backend: () => ((calls.created += 1), Promise.resolve(backend)) };
}

function modelOf(candles: Candle[][]): NewModel {
  const builder = new GraphSnapshotBuilder({ queueId: 'wf-t', interval: '1h', symbols: SYMBOLS, window: 30 });
  const snapshots: GraphSnapshot[] = [];
  for (const step of alignCandles(candles)) {
    const s = builder.push(step.time, step.candles);
    if (s !== undefined) snapshots.push(s);
  }
  const rows = snapshots.slice(0, 100).flatMap((s) => s.x.flat());
  const score = { accuracy: 0.4, macro_f1: 0.35, log_loss: 1.07 };
  const period = { from: iso(FROM), to: iso(FROM), from_ms: FROM, to_ms: FROM, samples: 1 };
  return {
    id: 'm-1',
    created_at: iso(FROM),
    created_at_ms: FROM,
    queue_id: 'wf-multi-gnn_train-20240101-abcdef',
    universe: 'u',
    symbols: SYMBOLS,
    interval: '1h',
    horizon: 2,
    window: 30,
    edges: { kind: 'threshold', threshold: 0.3 },
    features: [...builder.features],
    data: { from: iso(FROM), to: iso(FROM + 600 * HOUR), from_ms: FROM, to_ms: FROM + 600 * HOUR },
    split: { train: period, val: period, test: period, gap: 31 },
    flat_band: 0.001,
    priors: [0.34, 0.33, 0.33],
    scaler: FeatureScaler.fit(builder.features, rows, rows.length / builder.features.length).toState(),
    hyperparameters: { arch: 'gcn', hidden: 16, heads: 4, dropout: 0.1, learning_rate: 0.01, epochs: 60, patience: 8, batch_size: 64 },
    seed: 1,
    backend: 'cpu',
    metrics: { gnn: score, mlp: score, logistic: score, majority: score },
    promoted: true,
    history: [],
    best_epoch: 0,
    code_version: '0.1.0',
  };
}

async function withService(fn: (s: { service: ModelService; store: EmbeddedStore; candles: Candle[][]; calls: { created: number; loads: number } }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-model-service-'));
  const store = new EmbeddedStore(dir);
  const objects = new FilesystemObjectStore(dir, { topLevel: ['models'] });
  const candles = SYMBOLS.map((symbol, i) => randomCandles(600, 50 + i).map((c) => ({ ...c, symbol })));
  for (const list of candles) await storeCandles(store, list);
  const repo = new ModelRepository({ objects, store });
  await repo.init();
  await repo.save(modelOf(candles), { modelJson: '{}', weights: new Uint8Array([1, 2, 3]) });
  const { calls, backend } = backendStandIn();
  const service = new ModelService({ store, objects: () => Promise.resolve(objects), backend });
  try {
    await fn({ service, store, candles, calls });
  } finally {
    await service.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const perturbed = (c: Candle): Candle => ({ ...c, close: String(Number(c.close) * 1.5), high: String(Number(c.high) * 1.6), volume: '99999' });

describe('ModelService', () => {
  it('predicts from the stored candles closed by at: rewriting later ones in the store changes nothing', () =>
    withService(async ({ service, store, candles }) => {
      const at = FROM + 500 * HOUR + 20 * 60_000;
      const before = await service.predict('latest', at);
      assert.equal(before.model, 'm-1');
      assert.equal(before.last_candle, iso(FROM + 499 * HOUR));
      assert.equal(before.horizon, 2);
      for (const list of candles) await storeCandles(store, list.filter((c) => c.close_time >= at).map(perturbed));
      assert.deepEqual(await service.predict('m-1', at), before);
      for (const list of candles) await storeCandles(store, list.filter((c) => c.open_time === FROM + 499 * HOUR).map(perturbed));
      assert.notDeepEqual((await service.predict('m-1', at)).predictions, before.predictions, 'the last closed candle is read');
    }));

  it('creates the backend on the first prediction only, and loads a model once', () =>
    withService(async ({ service, calls }) => {
      assert.equal((await service.list()).length, 1);
      assert.equal((await service.get('latest')).id, 'm-1');
      assert.deepEqual(calls, { created: 0, loads: 0 }, 'listing models loads no tfjs');
      for (const hours of [300, 400, 500]) await service.predict('m-1', FROM + hours * HOUR);
      assert.deepEqual(calls, { created: 1, loads: 1 });
    }));

  it('answers unknown models with SF_ERR_NOT_FOUND, and times it cannot predict at with what is accepted', () =>
    withService(async ({ service }) => {
      await assert.rejects(service.predict('m-9', FROM + 300 * HOUR), (e: unknown) => e instanceof StreamForgeError && e.code === ErrorCodes.NOT_FOUND);
      await assert.rejects(service.predict('m-1', FROM + 5 * HOUR), (e: unknown) => e instanceof ValidationError && /accepted: at or after 2024-01-02T07:00:00.000Z/.test(e.message));
      await assert.rejects(service.predict('m-1', FROM + 2000 * HOUR), (e: unknown) => e instanceof ValidationError && /no stored 1h candles of AAAUSDT, BBBUSDT, CCCUSDT in .*\(model m-1 reads the candles before at\)/.test(e.message));
    }));
});
