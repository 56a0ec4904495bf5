// A gnn_train workflow on the production path: Apache Kafka for the mailboxes and the graph-features
// topic, each stage (loaders, connectors, graph-builder, trainer) its own OS process, the model
// in a real S3 server (S3Proxy). The trainer is killed with SIGKILL while it trains: its relaunch
// gets its snapshots back from its checkpoint and its committed offsets, and trains again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelRepository } from '../../src/actors/models/model-repository.ts';
import { GnnParams, Targets } from '../../src/protocol/index.ts';
import type { TelemetryEvent } from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { processStagesOnKafka, releaseKafka, requireKafka } from '../helpers/kafka-broker.ts';
import { releaseS3, requireS3, s3Env, uniqueBucketName } from '../helpers/s3-server.ts';
import type { S3Server } from '../helpers/s3-server.ts';
import { stageProcess } from '../helpers/stage-processes.ts';
import { syntheticSymbols } from '../helpers/synthetic-snapshots.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);
const TO = FROM + 2_500 * HOUR;
const SYMBOLS = syntheticSymbols('GKF', 6);

describe('gnn_train over Kafka, stages as processes, the model in S3', { timeout: 900_000 }, () => {
  let bootstrap: string;
  let s3: S3Server;
  let sim: ExchangeSimulator;
  before(async () => {
    bootstrap = await requireKafka();
    s3 = await requireS3();
    sim = await startExchangeSimulator({ seed: 21, market: { kind: 'planted-clusters', symbols: SYMBOLS, seed: 9, clusters: 2, startMs: FROM - 500 * HOUR } });
  });
  after(async () => {
    await sim?.close();
    await releaseS3();
    await releaseKafka();
  });

  it('completes through a SIGKILL of the trainer mid-training, and stores the model in the bucket', async (t) => {
    const bucket = uniqueBucketName('sf-gnn');
    const rt = await startTestRuntime(sim.url, { env: { ...processStagesOnKafka(bootstrap), ...s3Env(s3, bucket), STALL_TIMEOUT_MS: '60000' } });
    const events: TelemetryEvent[] = [];
    const recorder = await recordTelemetry(rt.runtime.bus, rt.runtime.config.QUEUE_EVENTS_TOPIC, events);
    try {
      assert.equal(rt.runtime.bus.kind, 'kafka');
      assert.equal(rt.runtime.objects.kind, 's3');
      const gnn = GnnParams.parse({ symbols: SYMBOLS, interval: '1h', epochs: 25, seed: 4 });
      const wf = await rt.manager.create({ type: 'gnn_train', range: { fromMs: FROM, toMs: TO }, gnn });

      // Wait for the trainer to be training (an epoch event), then kill its process outright.
      const epoch = (e: TelemetryEvent) => e.queue_id === wf.queue_id && e.epoch !== undefined;
      await waitFor('the trainer to train', () => (events.some(epoch) ? true : undefined), 300_000);
      const trainer = stageProcess(wf.queue_id, 'trainer');
      assert.ok(trainer, 'the trainer runs as a process of its own');
      assert.ok(stageProcess(wf.queue_id, 'graph-builder') === undefined, 'the graph-builder has ended (its stream is complete)');
      process.kill(trainer.pid, 'SIGKILL');
      const killedAt = events.length;

      const done = await rt.settle(wf.queue_id, 600_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      const stage = done.stages[Targets.trainer];
      assert.ok((stage?.restarts ?? 0) >= 1, 'the trainer was relaunched');
      assert.equal(stage?.records, done.stages[Targets['graph-builder']]?.records, 'the relaunched trainer holds every snapshot, none twice');
      const started = events.slice(killedAt).find((e) => e.queue_id === wf.queue_id && e.status === 'started' && e.producer.startsWith(Targets.trainer));
      t.diagnostic(`relaunched trainer: ${started?.message ?? '(no started event)'}`);
      assert.match(started?.message ?? '', /snapshots kept from before/, 'it took its snapshots back from its checkpoint');

      const repository = new ModelRepository({ objects: rt.runtime.objects, store: rt.runtime.store });
      const model = await repository.resolve(done.models?.at(-1) ?? '');
      assert.match(model.uri, new RegExp(`^s3://${bucket}/models/${model.id}/$`));
      const files = await rt.runtime.objects.list(`models/${model.id}/`);
      assert.deepEqual(files, ['metadata.json', 'model.json', 'weights.bin'].map((f) => `models/${model.id}/${f}`));
      await repository.artifacts(model);
      t.diagnostic(`model ${model.id}: gnn ${model.metrics.gnn.accuracy.toFixed(3)}, mlp ${model.metrics.mlp.accuracy.toFixed(3)}, majority ${model.metrics.majority.accuracy.toFixed(3)}`);
      assert.ok(model.metrics.gnn.accuracy > model.metrics.majority.accuracy + 0.03);
    } finally {
      await recorder.close();
      await rt.close();
    }
  });
});
