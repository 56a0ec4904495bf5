// The behaviour every Bus implementation owes its callers. Written to run unchanged against Kafka:
// fresh topic and group names per test, generous waits on conditions, and no assumption about where
// one batch ends and the next begins (only that a batch holds messages of one partition, in order).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BusError, ErrorCodes } from '../../src/protocol/index.ts';
import type { Bus, BusMessage, OutgoingMessage, SubscribeOptions, Subscription } from '../../src/actors/ports/index.ts';
import { waitFor } from './wait-for.ts';
import { rejectionOf } from './rejection-of.ts';

export interface BusUnderTest {
  readonly bus: Bus;
  /** Closes the bus and removes whatever the factory created (a temp dir, a client). */
  readonly cleanup: () => Promise<void>;
}

/** Kafka needs seconds for group joins and metadata; the embedded bus needs milliseconds. */
const WAIT_MS = 20_000;
const TEST_TIMEOUT_MS = 90_000;

function freshName(label: string): string {
  return `sf-bct-${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}


function isOrCausedBy(err: unknown, cause: unknown): boolean {
  for (let e = err, depth = 0; e !== undefined && depth < 5; depth++) {
    if (e === cause) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/** Records every batch a handler sees. */
class Received {
  readonly batches: BusMessage[][] = [];
  #failure: { readonly err: unknown } | undefined;
  readonly handler = (batch: readonly BusMessage[]): Promise<void> => {
    this.batches.push([...batch]);
    return Promise.resolve();
  };
  /** A subscription that stopped fails the wait at once, with its reason. */
  readonly onError = (err: unknown): void => {
    this.#failure = { err };
  };

  get messages(): BusMessage[] {
    return this.batches.flat();
  }

  values(): string[] {
    return this.messages.map((m) => m.value);
  }

  /** Waits until every one of `expected` has arrived (duplicates allowed: delivery is at-least-once). */
  async waitForValues(expected: readonly string[], what: string): Promise<void> {
    await waitFor(
      what,
      () => {
        if (this.#failure !== undefined) throw new Error(`the subscription stopped while waiting for ${what}`, { cause: this.#failure.err });
        const seen = new Set(this.values());
        return expected.every((v) => seen.has(v)) ? true : undefined;
      },
      WAIT_MS,
    );
  }
}

interface Harness {
  readonly bus: Bus;
  /** Ensures a fresh topic, deleted after the test. */
  topic(label: string, partitions: number): Promise<string>;
  group(label: string): string;
  /** Subscribes; the subscription is closed after the test unless the test closed it. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** The test deleted the topic itself. */
  forget(topic: string): void;
}

function assertBatchShape(batches: readonly BusMessage[][]): void {
  for (const batch of batches) {
    assert.ok(batch.length > 0, 'no empty batches');
    const first = batch[0];
    assert.ok(first);
    for (const m of batch) {
      assert.equal(m.topic, first.topic, 'a batch holds one topic');
      assert.equal(m.partition, first.partition, 'a batch holds one partition');
    }
  }
}

/** Per partition, offsets increase in delivery order. */
function assertOffsetsIncrease(messages: readonly BusMessage[]): void {
  const last = new Map<string, bigint>();
  for (const m of messages) {
    assert.match(m.offset, /^\d+$/, 'offsets are decimal strings');
    const id = `${m.topic}/${m.partition}`;
    const offset = BigInt(m.offset);
    const previous = last.get(id);
    if (previous !== undefined) assert.ok(offset > previous, `offset ${offset} after ${previous} on ${id}`);
    last.set(id, offset);
  }
}

function values(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

function keyed(vals: readonly string[], keys = 3): OutgoingMessage[] {
  return vals.map((value, i) => ({ key: `key-${i % keys}`, value }));
}

/** Registers the Bus contract suite; `makeBus` gives every test a bus of its own. */
export function busContract(name: string, makeBus: () => Promise<BusUnderTest>): void {
  async function withBus(fn: (h: Harness) => Promise<void>): Promise<void> {
    const { bus, cleanup } = await makeBus();
    const topics = new Set<string>();
    const open = new Set<Subscription>();
    const harness: Harness = {
      bus,
      async topic(label, partitions) {
        const topic = freshName(label);
        await bus.ensureTopics([{ name: topic, partitions }]);
        topics.add(topic);
        return topic;
      },
      group: (label) => freshName(`${label}-group`),
      async subscribe(options) {
        const sub = await bus.subscribe(options);
        open.add(sub);
        return {
          close: async () => {
            open.delete(sub);
            await sub.close();
          },
        };
      },
      forget: (topic) => topics.delete(topic),
    };
    try {
      await fn(harness);
    } finally {
      try {
        await Promise.all([...open].map((s) => s.close()));
        if (topics.size > 0) await bus.deleteTopics([...topics]);
      } finally {
        await cleanup();
      }
    }
  }

  describe(`Bus contract: ${name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    it('delivers produced messages to a subscriber, with key, value, partition, offset and timestamp', () =>
      withBus(async (h) => {
        const topic = await h.topic('roundtrip', 1);
        const before = Date.now();
        await h.bus.produce(topic, [
          { key: 'k1', value: 'v1' },
          { key: null, value: 'v2' },
          { key: 'k1', value: '{"json":"ü ✓"}' },
        ]);
        const got = new Received();
        await h.subscribe({ groupId: h.group('roundtrip'), topics: [topic], fromBeginning: true, handler: got.handler, onError: got.onError });
        await got.waitForValues(['v1', 'v2', '{"json":"ü ✓"}'], 'the three messages');
        assert.deepEqual(
          got.messages.map((m) => [m.key, m.value]),
          [['k1', 'v1'], [null, 'v2'], ['k1', '{"json":"ü ✓"}']],
        );
        for (const m of got.messages) {
          assert.equal(m.topic, topic);
          assert.equal(m.partition, 0);
          assert.ok(Math.abs(m.timestamp - before) < 60_000, `timestamp ${m.timestamp} is about now`);
        }
        assertBatchShape(got.batches);
        assertOffsetsIncrease(got.messages);
      }));

    it('keeps per-key order and puts one key always on one partition', () =>
      withBus(async (h) => {
        const topic = await h.topic('order', 3);
        const keys = Array.from({ length: 12 }, (_, i) => `symbol-${i}`);
        const rounds = 10;
        // Interleaved across several produce calls, so order has to survive call boundaries too.
        for (let seq = 0; seq < rounds; seq++) {
          await h.bus.produce(topic, keys.map((key) => ({ key, value: JSON.stringify({ key, seq }) })));
        }
        const got = new Received();
        await h.subscribe({ groupId: h.group('order'), topics: [topic], fromBeginning: true, handler: got.handler, onError: got.onError, maxBatchSize: 7 });
        const expected = keys.flatMap((key) => Array.from({ length: rounds }, (_, seq) => JSON.stringify({ key, seq })));
        await got.waitForValues(expected, `${expected.length} keyed messages`);

        const seqs = new Map<string, number[]>();
        const partitions = new Map<string, Set<number>>();
        for (const m of got.messages) {
          const { key, seq } = JSON.parse(m.value) as { key: string; seq: number };
          assert.equal(m.key, key);
          assert.ok(m.partition >= 0 && m.partition < 3, `partition ${m.partition} exists`);
          seqs.set(key, [...(seqs.get(key) ?? []), seq]);
          partitions.set(key, (partitions.get(key) ?? new Set()).add(m.partition));
        }
        for (const key of keys) {
          assert.deepEqual(seqs.get(key), Array.from({ length: rounds }, (_, i) => i), `order of ${key}`);
          assert.equal(partitions.get(key)?.size, 1, `${key} stays on one partition`);
        }
        assert.ok(new Set(got.messages.map((m) => m.partition)).size > 1, 'twelve keys spread over more than one partition');
        assertBatchShape(got.batches);
        for (const b of got.batches) assert.ok(b.length <= 7, `batch of ${b.length} exceeds maxBatchSize`);
        assertOffsetsIncrease(got.messages);
      }));

    it('gives each of two groups every message', () =>
      withBus(async (h) => {
        const topic = await h.topic('groups', 3);
        const sent = values('m', 20);
        await h.bus.produce(topic, keyed(sent, 5));
        const a = new Received();
        const b = new Received();
        await h.subscribe({ groupId: h.group('a'), topics: [topic], fromBeginning: true, handler: a.handler, onError: a.onError });
        await h.subscribe({ groupId: h.group('b'), topics: [topic], fromBeginning: true, handler: b.handler, onError: b.onError });
        await a.waitForValues(sent, 'group a to get everything');
        await b.waitForValues(sent, 'group b to get everything');
        assert.deepEqual([...new Set(a.values())].sort(), [...sent].sort());
        assert.deepEqual([...new Set(b.values())].sort(), [...sent].sort());
      }));

    it('resumes a group after its committed offset', () =>
      withBus(async (h) => {
        const topic = await h.topic('resume', 3);
        const groupId = h.group('resume');
        const first = values('first', 9);
        await h.bus.produce(topic, keyed(first));
        const one = new Received();
        const sub = await h.subscribe({ groupId, topics: [topic], fromBeginning: true, handler: one.handler, onError: one.onError });
        await one.waitForValues(first, 'the first nine');
        // Every handler call has resolved, so close() must leave those offsets committed.
        await sub.close();

        const second = values('second', 9);
        await h.bus.produce(topic, keyed(second));
        const two = new Received();
        await h.subscribe({ groupId, topics: [topic], fromBeginning: true, handler: two.handler, onError: two.onError });
        await two.waitForValues(second, 'the second nine');
        assert.deepEqual(two.values().filter((v) => first.includes(v)), [], 'nothing committed is redelivered');
      }));

    it('deletes consumer groups with their offsets: the same group then starts over; a missing group is fine', () =>
      withBus(async (h) => {
        const topic = await h.topic('delgroup', 2);
        const groupId = h.group('delgroup');
        const first = values('first', 6);
        await h.bus.produce(topic, keyed(first));
        const one = new Received();
        const sub = await h.subscribe({ groupId, topics: [topic], fromBeginning: true, handler: one.handler, onError: one.onError });
        await one.waitForValues(first, 'the first six');
        await sub.close();
        await h.bus.deleteGroups([groupId, h.group('never-used')]);
        await h.bus.deleteGroups([]);
        // Without its offsets, the group starts where a new group starts: here, at the beginning.
        const again = new Received();
        await h.subscribe({ groupId, topics: [topic], fromBeginning: true, handler: again.handler, onError: again.onError });
        await again.waitForValues(first, 'the first six again');
      }));

    it('commits nothing of a batch whose handler threw, calls onError, and redelivers it to the group', () =>
      withBus(async (h) => {
        const topic = await h.topic('failing', 1);
        const groupId = h.group('failing');
        const sent = values('msg', 6);
        await h.bus.produce(topic, sent.map((value) => ({ key: 'one-key', value })));
        const boom = new Error('handler failed on purpose');
        const succeeded: string[] = [];
        const failedBatches: string[][] = [];
        const errors: unknown[] = [];
        const failing = await h.subscribe({
          groupId,
          topics: [topic],
          fromBeginning: true,
          maxBatchSize: 2,
          handler: (batch) => {
            // Succeeds on batches before the poison message, fails on the batch that holds it.
            if (!batch.some((m) => m.value === 'msg-3')) {
              succeeded.push(...batch.map((m) => m.value));
              return Promise.resolve();
            }
            failedBatches.push(batch.map((m) => m.value));
            return Promise.reject(boom);
          },
          onError: (err) => errors.push(err),
        });
        await waitFor('onError after the handler threw', () => (errors.length > 0 ? true : undefined), WAIT_MS);
        await failing.close();

        const again = new Received();
        await h.subscribe({ groupId, topics: [topic], fromBeginning: true, handler: again.handler, onError: again.onError });
        await again.waitForValues(sent.slice(3), 'the rest of the messages');
        const failedBatch = failedBatches[0];
        assert.ok(failedBatch);
        const redelivered = again.values();
        for (const v of failedBatch) assert.ok(redelivered.includes(v), `${v} of the failed batch is delivered again`);
        assert.deepEqual(redelivered.filter((v) => succeeded.includes(v)), [], 'batches that succeeded stay committed');
        assert.equal(failedBatches.length, 1, 'the failed subscription stopped instead of retrying the handler');
        assert.equal(errors.length, 1, 'onError called once');
        assert.ok(isOrCausedBy(errors[0], boom), 'onError gets the handler error (or an error caused by it)');
      }));

    it("reports a running subscription's lag from its group's committed offsets, per partition, and none once closed", () =>
      withBus(async (h) => {
        const topic = await h.topic('lag', 2);
        const groupId = h.group('lag');
        const sent = values('lag', 10);
        await h.bus.produce(topic, keyed(sent, 4));
        let release: () => void = () => undefined;
        const held = new Promise<void>((resolve) => (release = resolve));
        let calls = 0;
        const got = new Received();
        const sub = await h.subscribe({
          groupId,
          topics: [topic],
          fromBeginning: true,
          // The first batch waits for the test: nothing is committed meanwhile.
          handler: async (batch) => {
            if (calls++ === 0) await held;
            await got.handler(batch);
          },
          onError: got.onError,
        });
        await waitFor('the first batch', () => (calls > 0 ? true : undefined), WAIT_MS);
        const ofGroup = async () => (await h.bus.lag()).filter((l) => l.groupId === groupId);
        const before = await ofGroup();
        assert.deepEqual(before.map((l) => [l.topic, l.partition]).sort(), [[topic, 0], [topic, 1]], 'one entry per partition');
        assert.equal(before.reduce((n, l) => n + l.lag, 0), sent.length, 'nothing committed: every message counts');
        release();
        await got.waitForValues(sent, 'every message');
        await waitFor('the lag to reach 0', async () => ((await ofGroup()).every((l) => l.lag === 0) ? true : undefined), WAIT_MS);
        await h.bus.produce(topic, keyed(['one-more'], 1));
        await got.waitForValues(['one-more'], 'the next message');
        await sub.close();
        await h.bus.produce(topic, keyed(['after-close'], 1));
        assert.deepEqual(await ofGroup(), [], 'a closed subscription is no longer reported');
      }));

    it('starts a new group at the end when fromBeginning is false', () =>
      withBus(async (h) => {
        const topic = await h.topic('latest', 3);
        const old = values('old', 6);
        await h.bus.produce(topic, keyed(old));
        const got = new Received();
        await h.subscribe({ groupId: h.group('latest'), topics: [topic], fromBeginning: false, handler: got.handler, onError: got.onError });
        // A Kafka consumer takes its position only once the group has joined: keep producing until one arrives.
        let produced = 0;
        let lastProduce = 0;
        await waitFor(
          'a message produced after subscribing',
          async () => {
            if (got.values().some((v) => v.startsWith('new-'))) return true;
            if (Date.now() - lastProduce >= 500) {
              lastProduce = Date.now();
              await h.bus.produce(topic, keyed([`new-${produced++}`]));
            }
            return undefined;
          },
          WAIT_MS,
        );
        assert.deepEqual(got.values().filter((v) => old.includes(v)), [], 'earlier messages skipped');
      }));

    it('delivers a message produced right after subscribe() resolves to a new group that starts at the end', () =>
      withBus(async (h) => {
        const topic = await h.topic('pinned', 3);
        const old = values('old', 6);
        await h.bus.produce(topic, keyed(old));
        const got = new Received();
        await h.subscribe({ groupId: h.group('pinned'), topics: [topic], fromBeginning: false, handler: got.handler, onError: got.onError });
        // Once, at once: the group's start was pinned before its first fetch, so nothing slips past it.
        await h.bus.produce(topic, keyed(['right-after']));
        await waitFor('the message produced right after subscribing', () => (got.values().includes('right-after') ? true : undefined), WAIT_MS);
        assert.deepEqual(got.values(), ['right-after'], 'that message and no earlier one');
      }));

    it('rejects produce to a topic that was never ensured', () =>
      withBus(async (h) => {
        const err = await rejectionOf('produce to a missing topic', () =>
          h.bus.produce(freshName('missing'), [{ key: 'k', value: 'v' }]),
        );
        assert.ok(err instanceof BusError, `expected a BusError, got ${String(err)}`);
        assert.equal(err.code, ErrorCodes.BUS);
      }));

    it('deletes topics: producing to a deleted topic then rejects', () =>
      withBus(async (h) => {
        const topic = await h.topic('delete', 1);
        await h.bus.produce(topic, [{ key: 'k', value: 'v' }]);
        await h.bus.deleteTopics([topic]);
        h.forget(topic);
        // Deletion propagates asynchronously on Kafka; once it has, produce must fail.
        const err = await waitFor(
          'produce to the deleted topic to reject',
          () => h.bus.produce(topic, [{ key: 'k', value: 'late' }]).then(() => undefined, (e: unknown) => e),
          WAIT_MS,
          250,
        );
        assert.ok(err instanceof BusError, `expected a BusError, got ${String(err)}`);
      }));
  });
}
