// Issue: Kafka-backed mailboxes with each role in its own process. Everything here talks to a real
// Apache Kafka broker; stages run as OS processes of the CLI (the process launcher).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { DeadLetter, Targets } from '../../src/protocol/index.ts';
import { ProcessLauncher } from '../../src/system/launcher/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { processStagesOnKafka, releaseKafka, requireKafka, uniqueName } from '../helpers/kafka-broker.ts';
import { freePortPair, kafkaDown, kafkaUp, stopBrokerKeepingData } from '../helpers/private-broker.ts';
import { ensurePythonPackage } from '../helpers/python-env.ts';
import { startCli } from '../helpers/cli-process.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { stageProcess } from '../helpers/stage-processes.ts';
import { assertExactCandles } from './exact-data.ts';

const from = Date.parse('2021-01-01T00:00:00Z');

async function records(rt: TestRuntime, queueId: string, target: string): Promise<number> {
  return (await rt.registry.get(queueId))?.stages[target]?.records ?? 0;
}

describe('workflows over a real Kafka broker, each stage its own process', { timeout: 600_000 }, () => {
  let bootstrap: string;
  let sim: ExchangeSimulator;
  before(async () => {
    bootstrap = await requireKafka();
    sim = await startExchangeSimulator({ latencyMs: 20, serverErrorRate: 0.02 });
  });
  after(async () => {
    await sim?.close();
    await releaseKafka();
  });

  it('backfills exactly over Kafka, surviving kill -9 of the loader and then of the connector', async () => {
    const rt = await startTestRuntime(sim.url, { env: processStagesOnKafka(bootstrap) });
    try {
      const launcher = rt.runtime.launcher;
      assert.ok(launcher instanceof ProcessLauncher);
      assert.equal(rt.runtime.bus.kind, 'kafka');
      const to = from + 200 * 86_400_000; // 288,000 one-minute candles
      const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });

      await waitFor('the connector to write', async () => ((await records(rt, wf.queue_id, Targets.connector)) > 10_000 ? true : undefined), 60_000);
      const loader = stageProcess(wf.queue_id, 'loader');
      assert.ok(loader?.pid);
      process.kill(loader.pid, 'SIGKILL');
      await waitFor('a relaunched loader', () => {
        const p = stageProcess(wf.queue_id, 'loader');
        return p && p.pid !== loader.pid ? true : undefined;
      }, 30_000);
      const seen = await records(rt, wf.queue_id, Targets.connector);
      await waitFor('more records', async () => ((await records(rt, wf.queue_id, Targets.connector)) > seen + 10_000 ? true : undefined), 60_000);
      const connector = stageProcess(wf.queue_id, 'connector');
      if (connector) process.kill(connector.pid, 'SIGKILL');

      const done = await rt.settle(wf.queue_id, 240_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.ok((done.stages[Targets.loader]?.restarts ?? 0) >= 1);
      assert.ok((done.stages[Targets.connector]?.restarts ?? 0) >= 1);
      assert.equal(await assertExactCandles(rt.runtime.store, wf.collection_name, 'BTCUSDT', '1m', from, to), 288_000);
    } finally {
      await rt.close();
    }
  });

  it('dead-letters malformed records injected into the data topic and still completes exactly', async () => {
    const rt = await startTestRuntime(sim.url, { env: processStagesOnKafka(bootstrap) });
    const kafka = new Kafka({ brokers: [bootstrap], clientId: uniqueName('injector'), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    try {
      const to = from + 60 * 86_400_000;
      const wf = await rt.manager.create({ symbol: 'ETHUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
      await waitFor('the workflow to run', async () => ((await records(rt, wf.queue_id, Targets.loader)) > 0 ? true : undefined), 60_000);
      await producer.connect();
      const bad = ['not json at all', JSON.stringify({ open_time: 'yesterday', symbol: 'ETHUSDT' }), JSON.stringify({ end_of_stream: 'maybe' })];
      await producer.send({ topic: wf.kafka_topic, messages: bad.map((value) => ({ key: 'ETHUSDT', value })) });

      const done = await rt.settle(wf.queue_id, 240_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      await assertExactCandles(rt.runtime.store, wf.collection_name, 'ETHUSDT', '1m', from, to);

      const letters: DeadLetter[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: `${wf.kafka_topic}-dlq`, fromBeginning: true });
      await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void letters.push(DeadLetter.parse(JSON.parse(String(message.value))))) });
      await waitFor('three dead letters', () => (letters.length >= 3 ? true : undefined), 30_000);
      assert.deepEqual(letters.map((l) => l.value).sort(), [...bad].sort());
      for (const l of letters) {
        assert.equal(l.queue_id, wf.queue_id);
        assert.equal(l.error.code, 'SF_ERR_PROTOCOL');
        assert.match(l.error.message, /record failed its schema/);
      }
      const rejected = await rt.runtime.metrics.registry.getSingleMetricAsString('streamforge_messages_rejected_total');
      assert.ok(rejected.length > 0);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await rt.close();
    }
  });

  it('survives a broker stop and restart mid-run with exact data', async () => {
    const port = await freePortPair();
    const privateBootstrap = await kafkaUp(port, false);
    const rt = await startTestRuntime(sim.url, { env: processStagesOnKafka(privateBootstrap) });
    try {
      const to = from + 120 * 86_400_000;
      const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
      await waitFor('the connector to write', async () => ((await records(rt, wf.queue_id, Targets.connector)) > 10_000 ? true : undefined), 60_000);
      await stopBrokerKeepingData(port);
      await delay(3_000); // the scenario itself: the broker stays away for a while
      await kafkaUp(port, true);
      const done = await rt.settle(wf.queue_id, 300_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      await assertExactCandles(rt.runtime.store, wf.collection_name, 'BTCUSDT', '1m', from, to);
    } finally {
      await rt.close();
      await kafkaDown(port);
    }
  });

  it("speaks the original wire contract to a foreign client (aiokafka's ping, our pong and telemetry)", async () => {
    const python = await ensurePythonPackage('aiokafka==0.14.0');
    const queueId = `wf-interop-${uniqueName('q').slice(-6)}`;
    const dummy = startCli(['serve', '--role', 'dummy', '--queue-id', queueId, '--simulate-loading', '--tick-ms', '200', '--ticks', '100000'], {
      KAFKA_BOOTSTRAP_SERVERS: bootstrap,
      PORT: '0',
    });
    try {
      await waitFor('the dummy to start', () => (dummy.stderr().includes(`dummy-service for ${queueId}`) ? true : undefined), 30_000);
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(python, ['test/interop/aiokafka_ping.py', bootstrap, queueId, '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      assert.equal(out.code, 0, out.stderr + out.stdout);
      const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const statuses = events.map((e) => e.status).filter((s) => s !== undefined);
      assert.equal(statuses[0], 'started');
      assert.ok(statuses.includes('loading'), 'telemetry read by the foreign client');
      const pong = events.find((e) => e.status === 'pong');
      assert.ok(pong, 'pong read by the foreign client');
      for (const field of ['queue_id', 'producer', 'status', 'timestamp', 'ping_ts', 'ponged_at']) assert.ok(field in pong, `pong has ${field}`);
      assert.match(String(pong.producer), /^dummy-service__[0-9a-f]{6}$/);
      assert.equal(typeof events.at(-1)?.rtt_ms, 'number');
    } finally {
      await dummy.kill();
    }
  });
});
