import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Targets, ErrorCodes } from '../../src/protocol/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { busFailingOnProduce, storeFailingOnUpsert } from '../helpers/faulty-ports.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { assertExactCandles } from './exact-data.ts';

const from = Date.parse('2024-05-01T00:00:00Z');
const to = Date.parse('2024-05-06T00:00:00Z'); // 7200 one-minute candles: 8 pages, several connector batches
const fastRestarts = { maxRestarts: 3, windowMs: 60_000, initialBackoffMs: 20, maxBackoffMs: 200 };

describe('supervision: a stage that crashes mid-run is restarted and resumes exactly', () => {
  let sim: ExchangeSimulator;
  before(async () => {
    sim = await startExchangeSimulator({ latencyMs: 2 });
  });
  after(async () => {
    await sim?.close();
  });

  it('survives loader crashes: resumes from its cursor, no gap, no duplicate', async () => {
    let bus: ReturnType<typeof busFailingOnProduce> | undefined;
    const rt = await startTestRuntime(sim.url, {
      env: { CONNECTOR_BATCH_SIZE: '500', LOADER_CONCURRENCY: '2' },
      overrides: (dir) => {
        bus = busFailingOnProduce(new EmbeddedBus({ dataDir: dir }), (t) => t.endsWith('-data'), new Set([2, 4]));
        return { bus, stageSupervision: fastRestarts };
      },
    });
    try {
      const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
      const done = await rt.settle(wf.queue_id);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.equal(bus?.failures, 2, 'two crashes were injected');
      assert.equal(done.stages[Targets.loader]?.restarts, 2);
      assert.equal(done.stages[Targets.connector]?.restarts, 0);
      const n = await assertExactCandles(rt.runtime.store, wf.collection_name, 'BTCUSDT', '1m', from, to);
      assert.equal(n, 7200);
      assert.equal(done.stages[Targets.connector]?.records, 7200);
    } finally {
      await rt.close();
    }
  });

  it('survives connector crashes: resumes from committed offsets, no gap, no duplicate', async () => {
    let store: ReturnType<typeof storeFailingOnUpsert> | undefined;
    const rt = await startTestRuntime(sim.url, {
      env: { CONNECTOR_BATCH_SIZE: '500' },
      overrides: (dir) => {
        store = storeFailingOnUpsert(new EmbeddedStore(dir), (c) => c.startsWith('ethusdt_api_candles_1m'), new Set([2, 5, 9]));
        return { store, stageSupervision: fastRestarts };
      },
    });
    try {
      const wf = await rt.manager.create({ symbol: 'ETHUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
      const done = await rt.settle(wf.queue_id);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.equal(store?.failures, 3);
      assert.equal(done.stages[Targets.connector]?.restarts, 3);
      await assertExactCandles(rt.runtime.store, wf.collection_name, 'ETHUSDT', '1m', from, to);
      const restarts = await rt.runtime.metrics.registry.getSingleMetricAsString('streamforge_actor_restarts_total');
      assert.match(restarts, /streamforge_actor_restarts_total\{actor_type="connector"\} 3/);
    } finally {
      await rt.close();
    }
  });

  it('fails the workflow with the reason once the restart budget is spent', async () => {
    const rt = await startTestRuntime(sim.url, {
      overrides: (dir) => ({
        store: storeFailingOnUpsert(new EmbeddedStore(dir), (c) => c.startsWith('btcusdt_api_candles_1h'), new Set(Array.from({ length: 50 }, (_, i) => i + 1))),
        stageSupervision: { ...fastRestarts, maxRestarts: 2 },
      }),
    });
    try {
      const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1h', range: { fromMs: from, toMs: to } });
      const done = await rt.settle(wf.queue_id);
      assert.equal(done.status, 'failed');
      assert.equal(done.error?.code, ErrorCodes.RESTART_BUDGET_EXHAUSTED);
      assert.match(done.error?.message ?? '', /connector kept crashing.*injected crash/);
      assert.equal(done.stages[Targets.connector]?.status, 'failed');
      assert.equal(done.stages[Targets.connector]?.restarts, 2);
    } finally {
      await rt.close();
    }
  });

  it('resumes an unfinished workflow after the whole process restarts (same data dir)', async () => {
    // The same manager name after the restart (as a pod keeps its name): it resumes its own workflows at once.
    const first = await startTestRuntime(sim.url, { env: { CONNECTOR_BATCH_SIZE: '300', STREAMFORGE_INSTANCE_ID: 'manager-a' } });
    const dataDir = first.dataDir;
    const wf = await first.manager.create({ symbol: 'ETHUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: from + 20 * 86_400_000 } });
    // Close while it runs: a crash of the whole process, as far as the workflow can tell.
    await waitFor('some records written', async () => {
      const w = await first.registry.get(wf.queue_id);
      return (w?.stages[Targets.connector]?.records ?? 0) > 0 ? true : undefined;
    });
    const interrupted = await first.registry.get(wf.queue_id);
    await first.runtime.close();
    assert.equal(interrupted?.status, 'running', 'the first process was stopped mid-run');
    const second = await startTestRuntime(sim.url, { dataDir, env: { STREAMFORGE_INSTANCE_ID: 'manager-a' } });
    try {
      const done = await second.settle(wf.queue_id);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      await assertExactCandles(second.runtime.store, wf.collection_name, 'ETHUSDT', '1m', from, from + 20 * 86_400_000);
    } finally {
      await second.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('lets a second manager adopt the workflows of one that went away, once its lease ran out', async () => {
    const a = await startTestRuntime(sim.url, { env: { CONNECTOR_BATCH_SIZE: '300', STREAMFORGE_INSTANCE_ID: 'manager-a', OWNERSHIP_LEASE_MS: '1500' } });
    const dataDir = a.dataDir;
    const b = await startTestRuntime(sim.url, { dataDir, env: { STREAMFORGE_INSTANCE_ID: 'manager-b', OWNERSHIP_LEASE_MS: '1500' } });
    try {
      const to = from + 20 * 86_400_000;
      const wf = await a.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
      await waitFor('some records written', async () => {
        const w = await a.registry.get(wf.queue_id);
        return (w?.stages[Targets.connector]?.records ?? 0) > 0 ? true : undefined;
      });
      const whileAlive = await b.registry.get(wf.queue_id);
      assert.equal(whileAlive?.owner, 'manager-a', 'a live owner keeps its workflow');
      await a.runtime.close();
      const done = await b.settle(wf.queue_id, 60_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.equal(done.owner, 'manager-b');
      await assertExactCandles(b.runtime.store, wf.collection_name, 'BTCUSDT', '1m', from, to);
    } finally {
      await b.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
