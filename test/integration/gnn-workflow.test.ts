// A gnn_train workflow end to end, in process: a universe of a planted-cluster market served by the
// exchange simulator, loaded by data workflows the graph workflow starts for what is missing, graph
// snapshots published on its topic by the graph-builder (edges stored as a named graph), consumed by
// the trainer, a model stored in the object store and listed in the registry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelRepository } from '../../src/actors/models/model-repository.ts';
import { QUEUES_COLLECTION } from '../../src/actors/index.ts';
import { GraphFeaturesMessage, GnnParams, parseJsonOrUndefined, Targets } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { syntheticSymbols } from '../helpers/synthetic-snapshots.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import type { Bus } from '../../src/actors/ports/index.ts';

const HOUR = 3_600_000;

/** Every message of a topic from its beginning, once `count` have come (a group of its own). */
async function readTopic(bus: Bus, topic: string, count: number): Promise<string[]> {
  const values: string[] = [];
  const sub = await bus.subscribe({
    groupId: `gnn-test-reader-${Date.now()}`,
    topics: [topic],
    fromBeginning: true,
    handler: (batch) => {
      for (const m of batch) values.push(m.value);
      return Promise.resolve();
    },
    onError: () => undefined,
  });
  try {
    await waitFor(`${count} messages on ${topic}`, () => (values.length >= count ? true : undefined), 30_000);
    return values;
  } finally {
    await sub.close();
  }
}
const FROM = Date.UTC(2024, 0, 1);
const TO = FROM + 3_000 * HOUR;
const SYMBOLS = syntheticSymbols('GNW', 8);

describe('gnn_train workflow', { timeout: 900_000 }, () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;

  before(async () => {
    sim = await startExchangeSimulator({
      seed: 11,
      market: { kind: 'planted-clusters', symbols: SYMBOLS, seed: 5, clusters: 2, startMs: FROM - 500 * HOUR },
    });
    rt = await startTestRuntime(sim.url);
  });
  after(async () => {
    await rt?.close();
    await sim?.close();
  });

  let trained: Workflow | undefined;

  it('loads what the universe lacks, builds the graphs, trains, and stores a model that beats its baselines', async (t) => {
    // Two symbols already stored for part of the range: their data workflows load only the rest.
    const partial = await rt.manager.create({ symbol: SYMBOLS[0] ?? '', type: 'api_candles_1h', range: { fromMs: FROM, toMs: FROM + 1_000 * HOUR } });
    assert.equal((await rt.settle(partial.queue_id)).status, 'completed');

    const gnn = GnnParams.parse({ symbols: SYMBOLS, interval: '1h', epochs: 40, seed: 3 });
    const started = Date.now();
    const wf = await rt.manager.create({ type: 'gnn_train', range: { fromMs: FROM, toMs: TO }, gnn });
    assert.equal(wf.symbol, 'MULTI');
    assert.match(wf.queue_id, /^wf-multi-gnn_train-20240101-[0-9a-f]{6}$/);
    assert.equal(wf.children?.length, SYMBOLS.length, 'one data workflow per symbol (none was complete)');
    const done = await rt.settle(wf.queue_id, 600_000);
    t.diagnostic(`gnn_train of ${SYMBOLS.length} symbols × ${(TO - FROM) / HOUR} hours: ${Date.now() - started} ms`);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    trained = done;
    for (const id of done.children ?? []) {
      const child = await rt.registry.get(id);
      assert.equal(child?.status, 'completed');
      assert.equal(child?.parent, wf.queue_id);
    }
    const first = await rt.registry.get(done.children?.[0] ?? '');
    assert.equal(first?.from_ms, FROM + 1_000 * HOUR, 'the stored part of the first symbol is not loaded again');

    const builder = done.stages[Targets['graph-builder']];
    const trainer = done.stages[Targets.trainer];
    assert.equal(builder?.status, 'finished');
    assert.equal(trainer?.status, 'finished');
    assert.ok((builder?.records ?? 0) > 2_000, `snapshots published: ${builder?.records}`);
    assert.equal(trainer?.records, builder?.records, 'the trainer consumed every snapshot');

    // Every snapshot is on the topic once, in time order, then the end marker.
    const messages = (await readTopic(rt.runtime.bus, done.kafka_topic, (builder?.records ?? 0) + 1)).map((v) => GraphFeaturesMessage.parse(parseJsonOrUndefined(v)));
    const times = messages.flatMap((m) => ('time' in m ? [m.time] : []));
    assert.equal(times.length, builder?.records);
    assert.ok(times.every((time, i) => i === 0 || time > (times[i - 1] ?? 0)), 'snapshots in increasing time, none twice');
    assert.deepEqual(messages.at(-1), { end_of_stream: true, queue_id: wf.queue_id, snapshots: builder?.records });

    // The edges, as a graph in the store: inside the planted clusters (symbols i, j with i ≡ j mod 2).
    const edges = await rt.runtime.store.range(done.collection_name, { from: TO - 24 * HOUR, to: TO });
    assert.ok(edges.length > 0);
    const cluster = (vertex: unknown) => SYMBOLS.indexOf(String(vertex).split('/')[1] ?? '') % 2;
    const inside = edges.filter((e) => cluster(e['_from']) === cluster(e['_to'])).length;
    assert.ok(inside / edges.length > 0.9, `${inside} of ${edges.length} edges of the last day inside clusters`);

    const repository = new ModelRepository({ objects: rt.runtime.objects, store: rt.runtime.store });
    const [modelId] = done.models ?? [];
    assert.ok(modelId, 'the workflow records its model');
    const model = await repository.resolve(modelId);
    t.diagnostic(`model ${model.id}: ${JSON.stringify(model.metrics)}`);
    assert.equal(model.queue_id, wf.queue_id);
    assert.deepEqual(model.symbols, SYMBOLS);
    assert.equal(model.backend, 'wasm');
    assert.ok(model.metrics.gnn.accuracy > model.metrics.majority.accuracy + 0.04, 'learned the planted structure');
    assert.ok(model.metrics.gnn.accuracy > model.metrics.mlp.accuracy, 'the graph adds over the MLP');
    assert.equal(model.promoted, true);
    assert.ok(model.history.length >= model.best_epoch && model.best_epoch > 0);
    const artifacts = await repository.artifacts(model);
    assert.match(artifacts.modelJson, /"format":"layers-model"/);
    assert.deepEqual(await rt.runtime.objects.list(`checkpoints/${wf.queue_id}/`), [], "the trainer's checkpoint is cleared once the model is stored");
  });

  it('starts no data workflow when the universe is stored, and builds graphs without training (gnn_graph)', async () => {
    assert.ok(trained, 'needs the first test');
    const gnn = GnnParams.parse({ symbols: SYMBOLS, interval: '1h', window: 48, edges: { kind: 'top-k', k: 2 } });
    const wf = await rt.manager.create({ type: 'gnn_graph', range: { fromMs: FROM, toMs: FROM + 600 * HOUR }, gnn });
    assert.deepEqual(wf.children, []);
    assert.deepEqual(Object.keys(wf.stages), [Targets['graph-builder']]);
    const done = await rt.settle(wf.queue_id, 120_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const edges = await rt.runtime.store.range(done.collection_name);
    const perTime = new Map<number, number>();
    for (const e of edges) perTime.set(Number(e['time']), (perTime.get(Number(e['time'])) ?? 0) + 1);
    assert.ok([...perTime.values()].every((n) => n >= SYMBOLS.length / 2), 'top-k: every node has at least k edges, so at least N·k/2 per snapshot');
  });

  it('refuses a range too short for the warm-up and the split, writing nothing', async () => {
    const before = await rt.runtime.store.count(QUEUES_COLLECTION);
    const gnn = GnnParams.parse({ symbols: SYMBOLS.slice(0, 3), interval: '1h' });
    await assert.rejects(
      rt.manager.create({ type: 'gnn_train', range: { fromMs: FROM, toMs: FROM + 300 * HOUR }, gnn }),
      /range is too short: 300 candles of 1h, at least \d+ needed/,
    );
    assert.equal(await rt.runtime.store.count(QUEUES_COLLECTION), before);
  });

  it('fails with the exchange\'s words when a symbol of the universe is unknown', async () => {
    const gnn = GnnParams.parse({ symbols: [SYMBOLS[0] ?? '', 'NOSUCHUSDT'], interval: '1h', window: 24 });
    const wf = await rt.manager.create({ type: 'gnn_graph', range: { fromMs: FROM, toMs: FROM + 100 * HOUR }, gnn });
    const done = await rt.settle(wf.queue_id, 60_000);
    assert.equal(done.status, 'failed');
    assert.match(done.error?.message ?? '', /loading NOSUCHUSDT api_candles_1h .* did not complete: .*Invalid symbol/);
  });
});
