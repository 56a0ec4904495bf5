// KafkaBus against a real Kafka 4.3.1 broker: the shared Bus contract, then what only Kafka has
// (backpressure, the start position of a new group, close with a hung handler, a broker restart).
// The restart test starts a broker of its own, so it never stops one another test depends on.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { BusMessage, Logger } from '../../src/actors/ports/index.ts';
import { BusError } from '../../src/protocol/index.ts';
import { KafkaBus } from '../../src/system/bus/index.ts';
import type { KafkaBusOptions } from '../../src/system/bus/index.ts';
import { busContract } from '../helpers/bus-contract.ts';
import { releaseKafka, requireKafka, uniqueName } from '../helpers/kafka-broker.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { failTestOnError } from '../helpers/fail-test-on-error.ts';
import { freePortPair, kafkaDown, kafkaUp, stopBrokerKeepingData } from '../helpers/private-broker.ts';


/** Keeps kafkajs's warnings and errors, to show them when a test fails. */
class RecordingLogger implements Logger {
  readonly entries: string[];
  constructor(entries: string[] = []) {
    this.entries = entries;
  }
  child(): Logger {
    return this;
  }
  debug(): void {}
  info(): void {}
  warn(obj: object, msg: string): void {
    this.entries.push(`WARN ${msg} ${JSON.stringify(obj)}`);
  }
  error(obj: object, msg: string): void {
    this.entries.push(`ERROR ${msg} ${JSON.stringify(obj)}`);
  }
  tail(n = 15): string {
    return this.entries.slice(-n).join('\n');
  }
}

let bootstrap = '';
before(async () => {
  bootstrap = await requireKafka();
});
after(() => releaseKafka());

function kafkaBus(options: Partial<KafkaBusOptions> = {}, brokers = [bootstrap]): KafkaBus {
  return new KafkaBus({ brokers, clientId: uniqueName('sf-it-kafka-bus'), logger: new RecordingLogger(), ...options });
}

busContract('KafkaBus', () => {
  const bus = kafkaBus();
  return Promise.resolve({ bus, cleanup: () => bus.close() });
});

/** Fresh topics per test, deleted afterwards; the bus closed even when the test failed. */
async function withTopic(bus: KafkaBus, partitions: number, fn: (topic: string) => Promise<void>): Promise<void> {
  const topic = uniqueName('sf-it-kbus');
  try {
    await bus.ensureTopics([{ name: topic, partitions }]);
    await fn(topic);
  } finally {
    await bus.deleteTopics([topic]).catch(() => undefined);
    await bus.close();
  }
}

function collector() {
  const messages: BusMessage[] = [];
  return {
    messages,
    onError: failTestOnError('a collecting subscription'),
    values: () => new Set(messages.map((m) => m.value)),
    handler: (batch: readonly BusMessage[]) => {
      messages.push(...batch);
      return Promise.resolve();
    },
  };
}

const numbered = (prefix: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `key-${(from + i) % 7}`, value: `${prefix}-${from + i}` }));

void describe('KafkaBus on Kafka', { timeout: 90_000 }, () => {
  void it('pauses a partition above the high-water mark and resumes it below the low one, losing nothing', async () => {
    const bus = kafkaBus({ highWaterMark: 100, lowWaterMark: 20 });
    await withTopic(bus, 1, async (topic) => {
      const total = 3_000;
      for (let i = 0; i < total; i += 500) await bus.produce(topic, numbered('bp', i, 500));
      const got = collector();
      await bus.subscribe({
        groupId: uniqueName('sf-it-bp'),
        topics: [topic],
        fromBeginning: true,
        maxBatchSize: 10,
        handler: async (batch) => {
          await delay(1); // a slow consumer
          await got.handler(batch);
        },
        onError: got.onError,
      });
      await waitFor('all messages', () => (got.values().size === total ? true : undefined), 60_000);
      assert.ok(bus.stats.pauses > 0, `paused at least once (stats ${JSON.stringify(bus.stats)})`);
      assert.equal(bus.stats.resumes, bus.stats.pauses, 'every pause was resumed');
      assert.equal(new Set(got.messages.map((m) => m.offset)).size, total, 'every offset delivered');
      for (let i = 1; i < got.messages.length; i++) {
        assert.ok(BigInt(got.messages[i]?.offset ?? -1) > BigInt(got.messages[i - 1]?.offset ?? -1), 'in offset order');
      }
    });
  });

  void it('does not miss a message produced right after subscribe resolves, and pins the start of a new group', async () => {
    const bus = kafkaBus();
    await withTopic(bus, 3, async (topic) => {
      await bus.produce(topic, numbered('old', 0, 6));
      const groupId = uniqueName('sf-it-latest');
      const first = collector();
      const sub = await bus.subscribe({ groupId, topics: [topic], fromBeginning: false, handler: first.handler, onError: first.onError });
      await bus.produce(topic, numbered('right-after', 0, 3));
      await waitFor('the messages produced right after subscribe', () => (first.values().size === 3 ? true : undefined), 20_000);
      assert.deepEqual([...first.values()].sort(), ['right-after-0', 'right-after-1', 'right-after-2']);
      await sub.close();

      // The group now has committed offsets: fromBeginning=false no longer means "skip what is there".
      await bus.produce(topic, numbered('while-away', 0, 4));
      const second = collector();
      await bus.subscribe({ groupId, topics: [topic], fromBeginning: false, handler: second.handler, onError: second.onError });
      await waitFor('the messages produced while no member ran', () => (second.values().size >= 4 ? true : undefined), 20_000);
      assert.deepEqual([...second.values()].sort(), ['while-away-0', 'while-away-1', 'while-away-2', 'while-away-3']);
    });
  });

  void it('closes a subscription whose handler hangs, without committing its batch', async () => {
    const bus = kafkaBus();
    await withTopic(bus, 1, async (topic) => {
      await bus.produce(topic, numbered('hang', 0, 3));
      const groupId = uniqueName('sf-it-hang');
      let called = false;
      const sub = await bus.subscribe({
        groupId,
        topics: [topic],
        fromBeginning: true,
        handler: () => {
          called = true;
          return new Promise<void>(() => undefined);
        },
        onError: failTestOnError('the hanging subscription'),
      });
      await waitFor('the handler to be called', () => (called ? true : undefined), 20_000);
      const started = Date.now();
      await sub.close();
      assert.ok(Date.now() - started < 10_000, `close took ${Date.now() - started} ms`);

      const again = collector();
      await bus.subscribe({ groupId, topics: [topic], fromBeginning: true, handler: again.handler, onError: again.onError });
      await waitFor('redelivery of the uncommitted batch', () => (again.values().size === 3 ? true : undefined), 20_000);
    });
  });

  void it('keeps two subscriptions of one process independent', async () => {
    const bus = kafkaBus();
    await withTopic(bus, 3, async (topic) => {
      await bus.produce(topic, numbered('ind', 0, 30));
      const a = collector();
      const failing = await bus.subscribe({
        groupId: uniqueName('sf-it-ind-a'),
        topics: [topic],
        fromBeginning: true,
        handler: () => Promise.reject(new Error('fails on purpose')),
        onError: () => undefined,
      });
      await bus.subscribe({ groupId: uniqueName('sf-it-ind-b'), topics: [topic], fromBeginning: true, handler: a.handler, onError: a.onError });
      await waitFor('the healthy subscription to get everything', () => (a.values().size === 30 ? true : undefined), 20_000);
      await failing.close();
    });
  });
});

// ---- topic creation racing metadata reads ----------------------------------------------------

void describe('KafkaBus topic creation under contention', { timeout: 180_000 }, () => {
  // Two buses (two admin clients) ensure the same new topics at once: one creates them while the
  // other reads metadata the broker does not have yet (UNKNOWN_TOPIC_OR_PARTITION, leaderless
  // partitions). Both must come back with every partition led, every round.
  void it('lets two admins ensure the same new topics at once, many times over', async () => {
    const a = kafkaBus();
    const b = kafkaBus();
    const rounds = Number(process.env['SF_TOPIC_RACE_ROUNDS'] ?? 12);
    const created: string[] = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const specs = [0, 1, 2].map((i) => ({ name: uniqueName(`sf-it-race-${round}-${i}`), partitions: 1 + i * 3 }));
        created.push(...specs.map((s) => s.name));
        // b asks for the topics in the opposite order, so its metadata read hits a topic a is creating.
        await Promise.all([a.ensureTopics(specs), b.ensureTopics([...specs].reverse())]);
        // Both can use them at once: produce and read back through the other bus.
        await Promise.all([a.produce(specs[2]!.name, [{ key: 'k', value: `a-${round}` }]), b.produce(specs[0]!.name, [{ key: 'k', value: `b-${round}` }])]);
      }
      const admin = new Kafka({ brokers: [bootstrap], clientId: uniqueName('sf-it-race-admin'), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const meta = await admin.fetchTopicMetadata({ topics: created });
        assert.equal(meta.topics.length, rounds * 3);
        for (const t of meta.topics) assert.ok(t.partitions.every((p) => p.leader >= 0), `${t.name} has a leader on every partition`);
      } finally {
        await admin.disconnect();
      }
    } finally {
      for (let i = 0; i < created.length; i += 30) await a.deleteTopics(created.slice(i, i + 30)).catch(() => undefined);
      await Promise.all([a.close(), b.close()]);
    }
  });
});

// ---- broker restart -------------------------------------------------------------------------

const EXTRA_DOWNTIME_MS = 5_000;

void describe('KafkaBus across a broker restart', { timeout: 150_000 }, () => {
  let port = 0;
  let brokers: string[] = [];
  before(async () => {
    port = await freePortPair();
    brokers = [await kafkaUp(port, false)];
  });
  after(async () => {
    if (port !== 0) await kafkaDown(port);
  });

  /** Stops the broker (keeping its data), keeps it away for a while, starts it again on the same port. */
  function restartBroker(onDown: () => void): { done: Promise<number> } {
    const startedAt = Date.now();
    const done = (async () => {
      await stopBrokerKeepingData(port);
      onDown();
      await delay(EXTRA_DOWNTIME_MS); // the scenario itself: a broker that stays away for ~10 s
      await kafkaUp(port, true);
      return Date.now() - startedAt;
    })();
    done.catch(() => undefined); // awaited by the caller; this only keeps an early failure from being "unhandled"
    return { done };
  }

  void it('delivers every message of a stream that a broker restart interrupts', async () => {
    const log = new RecordingLogger();
    const bus = new KafkaBus({ brokers, clientId: uniqueName('sf-it-restart'), logger: log, produceTimeoutMs: 60_000 });
    // Gives up quickly; it writes to a topic of its own, so a late write cannot skew the counts below.
    const impatient = new KafkaBus({ brokers, clientId: uniqueName('sf-it-impatient'), logger: new RecordingLogger(), produceTimeoutMs: 2_000 });
    const admin = new Kafka({ brokers, clientId: uniqueName('sf-it-restart-admin'), logLevel: logLevel.NOTHING }).admin();
    const probeTopic = uniqueName('sf-it-restart-probe');
    const total = 5_000;
    const chunk = 100;
    const offsets = new Set<string>();
    const values = new Set<string>();
    const errors: unknown[] = [];
    let delivered = 0;
    try {
      await impatient.ensureTopics([{ name: probeTopic, partitions: 1 }]);
      await impatient.produce(probeTopic, [{ key: 'k', value: 'before the outage' }]);
      await withTopic(bus, 3, async (topic) => {
        await bus.subscribe({
          groupId: uniqueName('sf-it-restart'),
          topics: [topic],
          fromBeginning: true,
          maxBatchSize: 20,
          // Slower than the producer, so the consumer is mid-stream (and mid-batch) when the broker goes.
          handler: async (batch) => {
            await delay(10);
            for (const m of batch) {
              offsets.add(`${m.partition}/${m.offset}`);
              values.add(m.value);
            }
            delivered += batch.length;
          },
          onError: (err) => errors.push(err),
        });
        let restart: { done: Promise<number> } | undefined;
        let deliveredAtStop = -1;
        let timedOut: { err: unknown; ms: number } | undefined;
        for (let i = 0; i < total; i += chunk) {
          if (i === 1_500) {
            restart = restartBroker(() => (deliveredAtStop = delivered));
            // The rest of the stream is produced into the outage: those calls wait and retry.
            await waitFor('the broker to go away', () => (deliveredAtStop >= 0 ? true : undefined), 30_000, 50);
            const started = Date.now();
            timedOut = await impatient.produce(probeTopic, [{ key: 'k', value: 'during the outage' }]).then(
              () => undefined,
              (err: unknown) => ({ err, ms: Date.now() - started }),
            );
          }
          await bus.produce(topic, numbered('r', i, chunk));
        }
        const outageMs = await restart?.done;
        await waitFor('every message after the restart', () => (values.size === total ? true : undefined), 60_000, 100).catch((err: unknown) => {
          throw new Error(`${String(err)}; got ${values.size}/${total}; kafka log:\n${log.tail()}`);
        });
        await admin.connect();
        const ends = await admin.fetchTopicOffsets(topic);
        const logged = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
        assert.equal(logged, total, 'the idempotent producer wrote each message once');
        assert.equal(offsets.size, total, 'every offset delivered (duplicates allowed, counted once)');
        assert.deepEqual(errors, [], 'the subscription survived the restart');
        assert.ok(timedOut, 'produce with a 2 s timeout rejected during the outage');
        assert.ok(timedOut.err instanceof BusError && timedOut.err.retriable, `a retriable BusError, got ${String(timedOut.err)}`);
        assert.ok(timedOut.ms >= 1_900 && timedOut.ms < 5_000, `rejected after ${timedOut.ms} ms`);
        process.stderr.write(
          `# restart: outage ${outageMs} ms, ${deliveredAtStop} delivered when it went down, ` +
            `${delivered} deliveries for ${total} messages, ${log.entries.length} kafkajs warnings/errors\n`,
        );
      });
    } finally {
      await impatient.deleteTopics([probeTopic]).catch(() => undefined);
      await impatient.close();
      await admin.disconnect().catch(() => undefined);
    }
  });
});
