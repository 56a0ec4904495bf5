import { pino } from 'pino';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus } from '../../src/system/bus/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { releaseKafka, requireKafka, uniqueName } from '../helpers/kafka-broker.ts';
import { runProducerPerf } from '../helpers/kafka-perf.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const MESSAGES = 100_000;
const BATCH = 1_000;
const VALUE = JSON.stringify({
  open_time: 1672531200000, open: '16541.77000000', high: '16545.70000000', low: '16508.39000000', close: '16529.67000000',
  volume: '4364.83570000', close_time: 1672531259999, quote_asset_volume: '72146521.68264350', number_of_trades: 62133,
  taker_buy_base_asset_volume: '2217.05030000', taker_buy_quote_asset_volume: '36651493.96264590', symbol: 'BTCUSDT', interval: '1m',
});

/**
 * On one broker, in one run: messages/s through a Kafka-backed mailbox (KafkaBus produce →
 * subscription handler, commits after each batch) against raw kafkajs produce → eachBatch with the
 * same producer settings; end-to-end candles/s over Kafka against the embedded bus; and the
 * broker's own ceiling from Kafka's ProducerPerformance tool.
 */
export async function benchKafka(): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const bootstrap = await requireKafka();
  try {
    const raw = await rawKafkajs(bootstrap);
    const mailbox = await kafkaMailbox(bootstrap);
    const [embeddedE2e, kafkaE2e] = await endToEnd(bootstrap);
    const ceiling = await runProducerPerf({ bootstrap, topic: uniqueName('bench-perf'), numRecords: 300_000, recordSize: VALUE.length });
    return {
      lines: [
        { name: `raw kafkajs produce→consume (${MESSAGES.toLocaleString('en-US')} × ${VALUE.length} B, acks=all, idempotent)`, value: Math.round(raw), unit: 'msg/s' },
        { name: 'Kafka-backed mailbox (KafkaBus produce → handler → commit)', value: Math.round(mailbox), unit: 'msg/s' },
        { name: 'end-to-end backfill, embedded bus (in-process stages)', value: Math.round(embeddedE2e), unit: 'candles/s' },
        { name: 'end-to-end backfill, Kafka bus (in-process stages)', value: Math.round(kafkaE2e), unit: 'candles/s' },
        { name: `broker ceiling: ProducerPerformance (${VALUE.length} B records)`, value: Math.round(ceiling.recordsPerSec), unit: 'msg/s' },
      ],
      ratios: [
        { name: 'mailbox / raw kafkajs', value: mailbox / raw, target: '>= 0.9', met: mailbox / raw >= 0.9 },
        { name: 'end-to-end over Kafka / over the embedded bus', value: kafkaE2e / embeddedE2e, target: '(reported)', met: true },
        { name: 'mailbox / broker ceiling', value: mailbox / ceiling.recordsPerSec, target: '(reported)', met: true },
      ],
    };
  } finally {
    await releaseKafka();
  }
}

async function rawKafkajs(bootstrap: string): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: uniqueName('bench-raw'), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topic = uniqueName('bench-raw');
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: uniqueName('bench-raw') });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const last = batch.messages.at(-1);
      seen += batch.messages.length;
      if (last) payload.resolveOffset(last.offset);
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
      if (seen >= MESSAGES) resolveDone();
    },
  });
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += BATCH) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: BATCH }, () => ({ key: 'BTCUSDT', value: VALUE })) });
  }
  await done;
  const rate = MESSAGES / ((performance.now() - started) / 1000);
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return rate;
}

async function kafkaMailbox(bootstrap: string): Promise<number> {
  const bus = new KafkaBus({ brokers: [bootstrap], clientId: uniqueName('bench-mailbox') });
  const topic = uniqueName('bench-mailbox');
  await bus.ensureTopics([{ name: topic, partitions: 1 }]);
  let seen = 0;
  let resolveDone: () => void = () => undefined;
  let rejectDone: (err: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const sub = await bus.subscribe({
    groupId: uniqueName('bench-mailbox'),
    topics: [topic],
    fromBeginning: true,
    handler: (batch) => {
      seen += batch.length;
      if (seen >= MESSAGES) resolveDone();
      return Promise.resolve();
    },
    onError: (err) => rejectDone(err),
  });
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += BATCH) {
    await bus.produce(topic, Array.from({ length: BATCH }, () => ({ key: 'BTCUSDT', value: VALUE })));
  }
  await done;
  const rate = MESSAGES / ((performance.now() - started) / 1000);
  await sub.close();
  await bus.deleteTopics([topic]);
  await bus.close();
  return rate;
}

async function endToEnd(bootstrap: string): Promise<[number, number]> {
  const unlimited = [{ rateLimitType: 'REQUEST_WEIGHT' as const, interval: 'MINUTE' as const, intervalNum: 1, limit: 10_000_000 }];
  const sim = await startExchangeSimulator({ rateLimits: unlimited });
  const run = async (env: Record<string, string>) => {
    const rt = await startTestRuntime(sim.url, { env, overrides: () => ({ logger: pino({ level: 'silent' }) }) });
    try {
      const from = Date.parse('2023-01-01T00:00:00Z');
      const n = 200_000;
      const started = performance.now();
      const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: from + n * 60_000 } });
      const done = await rt.settle(wf.queue_id, 600_000);
      if (done.status !== 'completed') throw new Error(`bench workflow ${done.status}: ${JSON.stringify(done.error)}`);
      return n / ((performance.now() - started) / 1000);
    } finally {
      await rt.close();
    }
  };
  try {
    const embedded = await run({});
    const kafka = await run({ KAFKA_BOOTSTRAP_SERVERS: bootstrap, QUEUE_CONTROL_TOPIC: uniqueName('bench-control'), QUEUE_EVENTS_TOPIC: uniqueName('bench-events') });
    return [embedded, kafka];
  } finally {
    await sim.close();
  }
}
