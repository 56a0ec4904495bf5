import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Targets } from '../../src/protocol/index.ts';
import { ProcessLauncher } from '../../src/system/launcher/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { isAlive, stageProcess, stageProcesses } from '../helpers/stage-processes.ts';
import { assertExactCandles } from './exact-data.ts';

const from = Date.parse('2022-01-01T00:00:00Z');
const to = Date.parse('2022-07-01T00:00:00Z'); // 260,640 one-minute candles, 261 pages

describe('process launcher: each stage in its own OS process, over the embedded bus', () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;
  before(async () => {
    sim = await startExchangeSimulator({ latencyMs: 25 });
    rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_LAUNCHER: 'process', CONNECTOR_BATCH_SIZE: '1000', LOG_LEVEL: 'silent' } });
  });
  after(async () => {
    await rt?.close();
    await sim?.close();
  });

  it('survives kill -9 of the loader, then of the connector: exact data, no gap, no duplicate', async () => {
    const launcher = rt.runtime.launcher;
    assert.ok(launcher instanceof ProcessLauncher);
    const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
    const stageRecords = async (target: string) => (await rt.registry.get(wf.queue_id))?.stages[target]?.records ?? 0;

    await waitFor('the connector to write', async () => ((await stageRecords(Targets.connector)) > 5_000 ? true : undefined));
    const loader = stageProcess(wf.queue_id, 'loader');
    assert.ok(loader?.pid, 'a loader process runs');
    process.kill(loader.pid, 'SIGKILL');
    const relaunched = await waitFor('a new loader process', () => {
      const p = stageProcess(wf.queue_id, 'loader');
      return p && p.pid !== loader.pid ? p : undefined;
    });
    assert.notEqual(relaunched.pid, loader.pid);

    const before = await stageRecords(Targets.connector);
    await waitFor('the connector to write more', async () => ((await stageRecords(Targets.connector)) > before + 5_000 ? true : undefined));
    const connector = stageProcess(wf.queue_id, 'connector');
    assert.ok(connector?.pid, 'a connector process runs');
    process.kill(connector.pid, 'SIGKILL');

    const done = await rt.settle(wf.queue_id, 120_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    assert.ok((done.stages[Targets.loader]?.restarts ?? 0) >= 1, 'loader relaunched');
    assert.ok((done.stages[Targets.connector]?.restarts ?? 0) >= 1, 'connector relaunched');
    const n = await assertExactCandles(rt.runtime.store, wf.collection_name, 'BTCUSDT', '1m', from, to);
    assert.equal(n, 260_640);
    await waitFor('no stage process left behind', () => (stageProcesses().length === 0 ? true : undefined), 15_000);
  });
});

describe('stall detection: a frozen stage process is relaunched', () => {
  it('relaunches a loader that stops making progress (SIGSTOP), and the data is still exact', async () => {
    const sim = await startExchangeSimulator({ latencyMs: 20 });
    const rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_LAUNCHER: 'process', STALL_TIMEOUT_MS: '6000', LOG_LEVEL: 'silent' } });
    try {
      const launcher = rt.runtime.launcher;
      assert.ok(launcher instanceof ProcessLauncher);
      const wf = await rt.manager.create({ symbol: 'ETHUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: from + 60 * 86_400_000 } });
      await waitFor('the loader to fetch', async () => (((await rt.registry.get(wf.queue_id))?.stages[Targets.loader]?.records ?? 0) > 2_000 ? true : undefined), 120_000);
      const frozen = stageProcess(wf.queue_id, 'loader');
      assert.ok(frozen?.pid);
      process.kill(frozen.pid, 'SIGSTOP');
      // The frozen process lives on until its kill grace is over: look for another loader beside it.
      const replacement = await waitFor('a relaunched loader', () =>
        stageProcesses().find((p) => p.queueId === wf.queue_id && p.role === 'loader' && p.pid !== frozen.pid),
      30_000);
      assert.notEqual(replacement.pid, frozen.pid);
      const done = await rt.settle(wf.queue_id, 120_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.ok((done.stages[Targets.loader]?.restarts ?? 0) >= 1);
      await assertExactCandles(rt.runtime.store, wf.collection_name, 'ETHUSDT', '1m', from, from + 60 * 86_400_000);
      await waitFor('the frozen process to be killed', () => (isAlive(frozen.pid) ? undefined : true), 15_000);
    } finally {
      await rt.close();
      await sim.close();
    }
  });
});
