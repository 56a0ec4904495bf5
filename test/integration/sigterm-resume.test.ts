import assert from 'node:assert/strict';
import { chmod, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Targets } from '../../src/protocol/index.ts';
import type { TelemetryEvent, Workflow } from '../../src/protocol/index.ts';
import { ProcessLauncher } from '../../src/system/launcher/index.ts';
import { isAlive, stageProcesses } from '../helpers/stage-processes.ts';
import { openDataDir } from '../helpers/data-dir-view.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { serveRole } from '../helpers/serve-role.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';
import { makeDataDir, startTestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { assertExactCandles } from './exact-data.ts';

// SIGTERM is a pod being moved (a node drained, a rollout), not a user's stop: whatever gets it
// keeps its place, says nothing that ends a workflow, and exits; the workflow resumes exactly.
const from = Date.parse('2022-01-01T00:00:00Z');
const to = Date.parse('2022-04-01T00:00:00Z'); // 129,600 one-minute candles

const interruptedOf = (events: readonly TelemetryEvent[], queueId: string) => events.filter((e) => e.queue_id === queueId && e.status === 'interrupted');

describe('SIGTERM to a stage process: saves its place, no `interrupted`, exit 143, relaunched', () => {
  let sim: ExchangeSimulator;
  before(async () => {
    sim = await startExchangeSimulator({ latencyMs: 25 });
  });
  after(async () => {
    await sim?.close();
  });

  it('the loader, then the connector: each exits 143, the workflow stays running and ends exact', async (t) => {
    const rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_LAUNCHER: 'process', CONNECTOR_BATCH_SIZE: '1000' } });
    const events: TelemetryEvent[] = [];
    const recorder = await recordTelemetry(rt.runtime.bus, rt.runtime.config.QUEUE_EVENTS_TOPIC, events);
    try {
      const launcher = rt.runtime.launcher;
      assert.ok(launcher instanceof ProcessLauncher);
      const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
      const records = async (target: string) => (await rt.registry.get(wf.queue_id))?.stages[target]?.records ?? 0;

      for (const [role, target] of [['loader', Targets.loader], ['connector', Targets.connector]] as const) {
        const floor = (await records(Targets.connector)) + 5_000;
        await waitFor(`the connector past ${floor} records`, async () => ((await records(Targets.connector)) > floor ? true : undefined), 60_000);
        const child = stageProcesses().find((p) => p.queueId === wf.queue_id && p.role === role);
        assert.ok(child, `a ${role} process runs`);
        const restarts = (await rt.registry.get(wf.queue_id))?.stages[target]?.restarts ?? 0;
        const sent = Date.now();
        process.kill(child.pid, 'SIGTERM');
        await waitFor(`the ${role} to exit`, () => (isAlive(child.pid) ? undefined : true), 30_000, 10);
        const exitedAfter = Date.now() - sent;
        // Its exit code as its launcher saw it: the supervisor records why it relaunched the stage.
        const restarted = await waitFor(`the ${role}'s relaunch recorded`, async () => {
          const stage = (await rt.registry.get(wf.queue_id))?.stages[target];
          return stage && stage.restarts > restarts ? stage : undefined;
        }, 30_000);
        t.diagnostic(`${role}: exited ${exitedAfter} ms after SIGTERM; ${restarted.error?.message ?? ''}`);
        assert.match(restarted.error?.message ?? '', /exited with code 143/, `the ${role} exits 143 on SIGTERM`);
        const relaunched = await waitFor(`a new ${role} process`, () => stageProcesses().find((p) => p.queueId === wf.queue_id && p.role === role && p.pid !== child.pid), 30_000);
        assert.notEqual(relaunched.pid, child.pid);
        const now = await rt.registry.get(wf.queue_id);
        assert.equal(now?.status, 'running', 'the workflow keeps running');
        assert.notEqual(now?.stages[target]?.status, 'stopped', `the ${role} is not taken for stopped`);
      }

      const done = await rt.settle(wf.queue_id, 180_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.ok((done.stages[Targets.loader]?.restarts ?? 0) >= 1, 'loader relaunched');
      assert.ok((done.stages[Targets.connector]?.restarts ?? 0) >= 1, 'connector relaunched');
      assert.equal(await assertExactCandles(rt.runtime.store, wf.collection_name, 'BTCUSDT', '1m', from, to), 129_600);
      await waitFor('the connector finished event', () => (events.some((e) => e.queue_id === wf.queue_id && e.status === 'finished' && e.producer.startsWith(`${Targets.connector}__`)) ? true : undefined));
      assert.deepEqual(interruptedOf(events, wf.queue_id), [], 'no stage reported interrupted');
    } finally {
      await recorder.close();
      await rt.close();
    }
  });
});

describe('SIGTERM to serve: stages stopped without a word, exit 0 within 10 s, the workflow resumes when it comes back', () => {
  let sim: ExchangeSimulator;
  before(async () => {
    sim = await startExchangeSimulator({ latencyMs: 25 });
  });
  after(async () => {
    await sim?.close();
  });

  for (const args of [['--role', 'all'], ['--role', 'manager', '--launcher', 'process']]) {
    it(`serve ${args.join(' ')}`, async (t) => {
      const dataDir = await makeDataDir();
      const env = {
        BINANCE_API_URL: sim.url,
        BINANCE_WS_URL: sim.url.replace(/^http/, 'ws'),
        BINANCE_ARCHIVE_URL: sim.url,
        STREAMFORGE_DATA_DIR: dataDir,
        // The pod's name: the same process coming back owns its workflows at once.
        STREAMFORGE_INSTANCE_ID: 'manager-0',
        CONNECTOR_BATCH_SIZE: '1000',
        LOG_LEVEL: 'warn',
      };
      const view = await openDataDir(dataDir);
      let serve = await serveRole(args, env);
      try {
        const created = await request(`${serve.base}/queues`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ symbol: 'ETHUSDT', type: 'api_candles_1m', from: '2022-01-01', to: '2022-04-01' }),
        });
        const body = await created.body.text();
        assert.equal(created.statusCode, 201, body);
        const wf = (JSON.parse(body) as { workflow: Workflow }).workflow;
        const written = async () => (await view.workflow(wf.queue_id))?.stages[Targets.connector]?.records ?? 0;
        await waitFor('the connector to write', async () => ((await written()) > 10_000 ? true : undefined), 60_000);

        const { code, ms } = await serve.signal('SIGTERM', 10_000);
        t.diagnostic(`serve ${args.join(' ')}: exit ${String(code)} ${ms} ms after SIGTERM`);
        assert.equal(code, 0);
        const left = await view.workflow(wf.queue_id);
        assert.equal(left?.status, 'running', 'the workflow is left running, not stopped');
        for (const target of [Targets.loader, Targets.connector]) assert.notEqual(left?.stages[target]?.status, 'stopped');
        const before = left?.stages[Targets.connector]?.records ?? 0;
        assert.ok(before < 129_600, 'stopped mid-run');

        serve = await serveRole(args, env);
        await waitFor(`${wf.queue_id} to complete after the restart`, async () => ((await view.workflow(wf.queue_id))?.status === 'completed' ? true : undefined), 180_000);
        const done = await view.workflow(wf.queue_id);
        assert.equal(done?.status, 'completed', JSON.stringify(done?.error));
        assert.equal(await assertExactCandles(view.store, wf.collection_name, 'ETHUSDT', '1m', from, to), 129_600);
        await view.connectorFinished(wf.queue_id);
        assert.deepEqual(interruptedOf(view.events, wf.queue_id), [], 'no stage reported interrupted');
        t.diagnostic(`resumed from ${before} stored candles to 129600, exact`);
        assert.equal((await serve.signal('SIGTERM', 10_000)).code, 0);
      } finally {
        await serve.process.kill();
        await view.close();
        await chmod(dataDir, 0o700);
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});
