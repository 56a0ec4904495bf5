// A stage relaunched because it stalled may wake up again (SIGCONT, a long GC pause, a network that
// comes back): its replacement speaks for the stage from then on, and what the old launch says is
// fenced off by the generation each launch gets in its start command and stamps on its telemetry.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Telemetry, WorkflowRegistry } from '../../src/actors/index.ts';
import { StartCommand, Targets } from '../../src/protocol/index.ts';
import type { EventStatus, Workflow } from '../../src/protocol/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { loadConfig, stageCommandFromConfig, stageEnv } from '../../src/system/config/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { FakeClock, settleUntil } from '../helpers/fake-clock.ts';
import { startManager } from '../helpers/manager-on-data-dir.ts';
import type { Launch } from '../helpers/manager-on-data-dir.ts';
import { seriesWorkflow } from '../helpers/series-workflow.ts';

const STALL_MS = 60_000;

describe('stage generations: telemetry of a replaced launch is fenced off', { timeout: 60_000 }, () => {
  it('ignores a stalled loader’s error after its replacement launched, and follows the replacement', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sf-fencing-'));
    const t0 = Date.parse('2025-05-05T00:00:00Z');
    const clock = new FakeClock(t0, { sleeps: 'timer' });
    const bus = new EmbeddedBus({ dataDir, pollIntervalMs: 10 });
    const store = new EmbeddedStore(dataDir);
    const registry = new WorkflowRegistry(store);
    const launches: Launch[] = [];
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    try {
      await registry.init();
      const wf: Workflow = seriesWorkflow('BTCUSDT', { status: 'pending', updated_at: t0 });
      await registry.save(wf);
      await bus.ensureTopics([{ name: 'queue-control' }, { name: 'queue-events' }]);
      manager = await startManager({ dataDir, instanceId: 'manager-a', clock, launches, bus, deps: { stallTimeoutMs: STALL_MS, ownershipLeaseMs: 3_600_000 } });
      await settleUntil(() => launches.length >= 2);
      const first = launches.find((l) => l.role === 'loader');
      assert.ok(first?.generation !== undefined, 'the loader was launched with a generation');

      const loaderCommand = (generation: number | undefined): StartCommand =>
        StartCommand.parse({
          command: 'start', queue_id: wf.queue_id, target: Targets.loader, symbol: wf.symbol, type: wf.type, time_range: wf.time_range,
          kafka_topic: wf.kafka_topic, collection_name: wf.collection_name, telemetry_id: wf.stages[Targets.loader]?.telemetry_id, timestamp: 0,
          ...(generation !== undefined ? { generation } : {}),
        });
      const say = (generation: number | undefined, status: EventStatus, records: number) =>
        new Telemetry(bus, clock, 'queue-events', loaderCommand(generation)).publish(status, { records_written: records });
      const loaderStage = async () => (await registry.get(wf.queue_id))?.stages[Targets.loader];

      await say(first.generation, 'loading', 10);
      await settleUntil(() => false, 20);
      assert.equal((await loaderStage())?.records, 10);

      // The loader says nothing for the stall timeout (its connector waits on it): it is relaunched.
      await clock.advance(STALL_MS + 1_000);
      await settleUntil(() => launches.filter((l) => l.role === 'loader').length >= 2);
      const second = launches.filter((l) => l.role === 'loader')[1];
      assert.ok(second?.generation !== undefined && second.generation > first.generation, `the relaunch has a later generation (${second?.generation} > ${first.generation})`);

      // The stalled launch wakes up and fails: without fencing this would fail the workflow.
      await say(first.generation, 'error', 11);
      await say(second.generation, 'loading', 25);
      await settleUntil(() => false, 20);
      let stage = await loaderStage();
      for (let i = 0; i < 50 && stage?.records !== 25; i++) {
        await settleUntil(() => false, 5);
        stage = await loaderStage();
      }
      assert.equal(stage?.records, 25, 'the replacement’s telemetry is followed');
      assert.equal(stage?.status, 'running');
      assert.equal((await registry.get(wf.queue_id))?.status, 'running', 'the stale launch’s error did not end the workflow');

      // A stage that stamps no generation (an older stage version) is still heard.
      await say(undefined, 'loading', 30);
      for (let i = 0; i < 50 && stage?.records !== 30; i++) {
        await settleUntil(() => false, 5);
        stage = await loaderStage();
      }
      assert.equal(stage?.records, 30);

      // An older launch that finishes did its whole work (a loader wrote its end marker, a connector
      // stored everything before it): heard, or a workflow whose old launch consumed the marker never ends.
      await say(first.generation, 'finished', 40);
      for (let i = 0; i < 50 && stage?.status !== 'finished'; i++) {
        await settleUntil(() => false, 5);
        stage = await loaderStage();
      }
      assert.equal(stage?.status, 'finished', 'the older launch’s `finished` is heard');
    } finally {
      await manager?.close();
      await bus.close().catch(() => undefined);
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('carries the generation from the start command through a stage process’s environment onto its telemetry', () => {
    const command = StartCommand.parse({
      command: 'start', queue_id: 'q-1', target: Targets.connector, symbol: 'BTCUSDT', type: 'api_candles_1m', time_range: '2024-01-01T00:00:00Z/2024-01-02T00:00:00Z',
      kafka_topic: 'q-1-data', collection_name: 'btcusdt_api_candles_1m_2024_01_01', telemetry_id: 'connector__abc123', timestamp: 0, generation: 1_746_403_200_123,
    });
    const env = stageEnv(loadConfig({}, {}), 'connector', command);
    assert.equal(env['STAGE_GENERATION'], '1746403200123');
    assert.equal(stageCommandFromConfig(loadConfig({}, env), 'connector', 0).generation, 1_746_403_200_123);
    const { generation: _dropped, ...withoutGeneration } = command;
    assert.equal(stageEnv(loadConfig({}, {}), 'connector', StartCommand.parse(withoutGeneration))['STAGE_GENERATION'], undefined);
  });
});
