// Continuous mode: a live gnn_train (1-second candles, so the test sees many of them) publishes a
// snapshot per closed candle and retrains every `retrain_every` snapshots, each a new model
// version. Its trainer, a process of its own, is frozen (SIGSTOP) while the graph-builder keeps
// publishing, then killed; the relaunched trainer catches up from its committed offset: every
// snapshot is consumed exactly once, none missing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { GnnParams, GraphFeaturesMessage, GraphSnapshot, parseJsonOrUndefined, Targets } from '../../src/protocol/index.ts';
import type { TelemetryEvent } from '../../src/protocol/index.ts';
import type { Bus } from '../../src/actors/ports/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { stageProcess } from '../helpers/stage-processes.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'PEPEUSDT'];

/** Snapshot times on the graph-features topic (read from its beginning in a group of its own). */
async function publishedTimes(bus: Bus, topic: string): Promise<number[]> {
  const times: number[] = [];
  let idle = 0;
  const sub = await bus.subscribe({
    groupId: `continuous-reader-${Date.now()}`,
    topics: [topic],
    fromBeginning: true,
    handler: (batch) => {
      idle = 0;
      for (const m of batch) {
        const parsed = GraphFeaturesMessage.parse(parseJsonOrUndefined(m.value));
        if ('time' in parsed) times.push(parsed.time);
      }
      return Promise.resolve();
    },
    onError: () => undefined,
  });
  try {
    // Until the topic has been quiet for a while: the workflow has stopped, nothing more comes.
    while (idle < 10) {
      idle++;
      await delay(100);
    }
    return times;
  } finally {
    await sub.close();
  }
}

describe('continuous gnn_train', { timeout: 600_000 }, () => {
  let sim: ExchangeSimulator;
  before(async () => {
    sim = await startExchangeSimulator({ seed: 31 });
  });
  after(async () => {
    await sim?.close();
  });

  it('retrains every N snapshots; a trainer frozen then killed catches up, consuming every snapshot exactly once', async (t) => {
    const rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_LAUNCHER: 'process', STALL_TIMEOUT_MS: '600000' } });
    const events: TelemetryEvent[] = [];
    const recorder = await recordTelemetry(rt.runtime.bus, rt.runtime.config.QUEUE_EVENTS_TOPIC, events);
    try {
      const now = Date.now();
      const gnn = GnnParams.parse({ symbols: SYMBOLS, interval: '1s', window: 20, horizon: 1, epochs: 3, live: true, retrain_every: 30 });
      const wf = await rt.manager.create({ type: 'gnn_train', range: { fromMs: now - 240_000, toMs: now + 3_600_000 }, gnn });
      const models = () => new Set(events.filter((e) => e.queue_id === wf.queue_id && e.model_id !== undefined).map((e) => e.model_id));
      await waitFor('a first model', () => (models().size >= 1 ? true : undefined), 180_000);

      const trainer = stageProcess(wf.queue_id, 'trainer');
      assert.ok(trainer, 'the trainer runs as a process');
      const published = async () => (await rt.registry.get(wf.queue_id))?.stages[Targets['graph-builder']]?.records ?? 0;
      const frozenAt = await published();
      process.kill(trainer.pid, 'SIGSTOP');
      await waitFor('the graph-builder to publish while the trainer is frozen', async () => ((await published()) >= frozenAt + 8 ? true : undefined), 60_000);
      process.kill(trainer.pid, 'SIGKILL');
      const before = models().size;
      await waitFor('two more models after the relaunch', () => (models().size >= before + 2 ? true : undefined), 180_000);

      // The supervisor records a model from the same event the recorder saw, then saves: wait for that save.
      const wfNow = await waitFor(
        'the registry to list every model version',
        async () => {
          const w = await rt.registry.get(wf.queue_id);
          return (w?.models?.length ?? 0) >= before + 2 ? w : undefined;
        },
        30_000,
      );
      assert.equal(wfNow?.status, 'running');
      assert.ok((wfNow?.stages[Targets.trainer]?.restarts ?? 0) >= 1, 'the trainer was relaunched');
      assert.ok((wfNow?.models?.length ?? 0) >= 3, `model versions recorded: ${wfNow?.models?.length}`);
      await rt.manager.stop(wf.queue_id);
      const done = await rt.settle(wf.queue_id, 60_000);
      assert.equal(done.status, 'stopped');

      // What the trainer consumed, by its checkpoint (one object per consumed batch): each snapshot once, none missing.
      const consumed: number[] = [];
      for (const key of await rt.runtime.objects.list(`checkpoints/${wf.queue_id}/`)) {
        const body = JSON.parse(new TextDecoder().decode(await rt.runtime.objects.get(key))) as { snapshots: unknown[] };
        for (const s of body.snapshots) consumed.push(GraphSnapshot.parse(s).time);
      }
      const times = await publishedTimes(rt.runtime.bus, wf.kafka_topic);
      const last = Math.max(...consumed);
      t.diagnostic(`${times.length} snapshots published, ${consumed.length} consumed (up to ${new Date(last).toISOString()}), ${models().size} model versions`);
      assert.equal(new Set(consumed).size, consumed.length, 'no snapshot consumed twice');
      assert.deepEqual(
        [...consumed].sort((a, b) => a - b),
        times.filter((time) => time <= last),
        'every published snapshot up to the last consumed one was consumed',
      );
      assert.ok(consumed.length >= frozenAt + 8, 'the relaunched trainer consumed what was published while it was frozen');
    } finally {
      await recorder.close();
      await rt.close();
    }
  });
});
