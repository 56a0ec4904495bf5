// Round trip against a real Kafka 4.3.1 broker (see test/helpers/kafka-broker.ts):
// 3-partition topic, 1000 keyed messages through an idempotent producer, consumed by a fresh group.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { releaseKafka, requireKafka, uniqueName } from '../helpers/kafka-broker.ts';

const MESSAGES = 1000;
const KEYS = 17;
const PARTITIONS = 3;

interface Payload {
  key: string;
  seq: number;
}

void describe('local Kafka broker', { timeout: 180_000 }, () => {
  const topic = uniqueName('sf-it-broker');
  const groupId = uniqueName('sf-it-broker-group');
  let kafka: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  before(async () => {
    const bootstrap = await requireKafka();
    kafka = new Kafka({ clientId: uniqueName('sf-it'), brokers: [bootstrap], logLevel: logLevel.WARN });
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (admin) {
      const topics = await admin.listTopics().catch(() => [] as string[]);
      if (topics.includes(topic)) await admin.deleteTopics({ topics: [topic], timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    await releaseKafka();
  });

  void it('creates a topic with 3 partitions', async () => {
    assert.ok(admin);
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 15_000,
    });
    assert.equal(created, true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(meta.topics[0]?.partitions.length, PARTITIONS);
  });

  void it('delivers 1000 keyed messages from an idempotent producer to a fresh group, in order per key', async () => {
    assert.ok(admin);
    producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const sent = new Map<string, number>();
    for (let batch = 0; batch < MESSAGES / 100; batch += 1) {
      const messages = Array.from({ length: 100 }, (_, i) => {
        const key = `key-${(batch * 100 + i) % KEYS}`;
        const seq = sent.get(key) ?? 0;
        sent.set(key, seq + 1);
        return { key, value: JSON.stringify({ key, seq } satisfies Payload) };
      });
      await producer.send({ topic, messages });
    }

    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    assert.equal(total, MESSAGES, 'log end offsets add up to the number of messages sent');

    consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = new Map<string, number[]>();
    const partitionOfKey = new Map<string, number>();
    let count = 0;
    let done!: () => void;
    const allReceived = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString() ?? '';
        const payload = JSON.parse(message.value?.toString() ?? 'null') as Payload;
        assert.equal(payload.key, key);
        const seen = partitionOfKey.get(key);
        if (seen === undefined) partitionOfKey.set(key, partition);
        else assert.equal(partition, seen, `key ${key} stays on one partition`);
        received.set(key, [...(received.get(key) ?? []), payload.seq]);
        count += 1;
        if (count >= MESSAGES) done();
        return Promise.resolve();
      },
    });

    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      allReceived,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out: consumed ${count}/${MESSAGES}`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    // Give a duplicate (which an idempotent producer must not create) a chance to show up.
    await new Promise((resolve) => setTimeout(resolve, 500));

    assert.equal(count, MESSAGES);
    assert.equal(received.size, KEYS);
    for (const [key, seqs] of received) {
      const expected = Array.from({ length: sent.get(key) ?? 0 }, (_, i) => i);
      assert.deepEqual(seqs, expected, `per-key order for ${key}`);
    }
    assert.ok(new Set(partitionOfKey.values()).size > 1, 'keys spread over more than one partition');
  });

  void it('deletes the topic', async () => {
    assert.ok(admin);
    await consumer?.disconnect();
    consumer = undefined;
    await admin.deleteTopics({ topics: [topic], timeout: 15_000 });
    const deadline = Date.now() + 15_000;
    while ((await admin.listTopics()).includes(topic)) {
      assert.ok(Date.now() < deadline, `topic ${topic} still listed after delete`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
});
