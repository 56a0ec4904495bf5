import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import type { BusMessage } from '../../src/actors/ports/index.ts';
import { busContract } from '../helpers/bus-contract.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { failTestOnError } from '../helpers/fail-test-on-error.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sf-bus-test-'));
}

busContract('EmbeddedBus on a data dir', async () => {
  const dir = await tempDir();
  const bus = new EmbeddedBus({ dataDir: dir });
  return {
    bus,
    cleanup: async () => {
      await bus.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

busContract('EmbeddedBus in memory', () => {
  const bus = new EmbeddedBus({ dataDir: ':memory:' });
  return Promise.resolve({ bus, cleanup: () => bus.close() });
});

function collector(): { readonly seen: string[]; handler: (batch: readonly BusMessage[]) => Promise<void>; onError: (err: unknown) => void } {
  const seen: string[] = [];
  return {
    seen,
    onError: failTestOnError('a collecting subscription'),
    handler: (batch) => {
      for (const m of batch) seen.push(m.value);
      return Promise.resolve();
    },
  };
}

function waitForAll(seen: readonly string[], expected: readonly string[], what: string): Promise<true> {
  return waitFor(what, () => (expected.every((v) => seen.includes(v)) ? true : undefined), 10_000);
}

describe('EmbeddedBus durability and sharing', { timeout: 60_000 }, () => {
  it('keeps messages, topics and committed offsets across close and reopen of the same dir', async () => {
    const dir = await tempDir();
    try {
      const first = new EmbeddedBus({ dataDir: dir });
      await first.ensureTopics([{ name: 'wf-durable-data', partitions: 2 }]);
      const early = ['e0', 'e1', 'e2', 'e3'];
      await first.produce('wf-durable-data', early.map((value, i) => ({ key: `k${i}`, value })));
      const consumed = collector();
      const sub = await first.subscribe({ groupId: 'connector', topics: ['wf-durable-data'], fromBeginning: true, handler: consumed.handler, onError: consumed.onError });
      await waitForAll(consumed.seen, early, 'the early messages');
      await sub.close();
      const late = ['l0', 'l1', 'l2'];
      await first.produce('wf-durable-data', late.map((value, i) => ({ key: `k${i}`, value })));
      await first.close();

      const second = new EmbeddedBus({ dataDir: dir });
      try {
        const resumed = collector();
        await second.subscribe({ groupId: 'connector', topics: ['wf-durable-data'], fromBeginning: true, handler: resumed.handler, onError: resumed.onError });
        await waitForAll(resumed.seen, late, 'the late messages after reopen');
        assert.deepEqual(resumed.seen.filter((v) => early.includes(v)), [], 'committed messages are not redelivered');
        const fresh = collector();
        await second.subscribe({ groupId: 'fresh-group', topics: ['wf-durable-data'], fromBeginning: true, handler: fresh.handler, onError: fresh.onError });
        await waitForAll(fresh.seen, [...early, ...late], 'every message for a new group');
        assert.equal(fresh.seen.length, early.length + late.length);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets two instances on one dir (two processes) see each other\'s messages', async () => {
    const dir = await tempDir();
    const a = new EmbeddedBus({ dataDir: dir, pollIntervalMs: 20 });
    const b = new EmbeddedBus({ dataDir: dir, pollIntervalMs: 20 });
    try {
      await a.ensureTopics([{ name: 'shared', partitions: 3 }]);
      const onA = collector();
      const onB = collector();
      await a.subscribe({ groupId: 'on-a', topics: ['shared'], fromBeginning: true, handler: onA.handler, onError: onA.onError });
      await b.subscribe({ groupId: 'on-b', topics: ['shared'], fromBeginning: true, handler: onB.handler, onError: onB.onError });

      // Both write, interleaved, to the same partitions: offsets must not collide.
      const fromA = Array.from({ length: 20 }, (_, i) => `a-${i}`);
      const fromB = Array.from({ length: 20 }, (_, i) => `b-${i}`);
      for (let i = 0; i < 20; i++) {
        await a.produce('shared', [{ key: `k${i % 4}`, value: fromA[i] ?? '' }]);
        await b.produce('shared', [{ key: `k${i % 4}`, value: fromB[i] ?? '' }]);
      }
      const all = [...fromA, ...fromB];
      await waitForAll(onA.seen, all, 'instance a to see both writers');
      await waitForAll(onB.seen, all, 'instance b to see both writers');
      assert.equal(onA.seen.length, all.length, 'each message once on a');
      assert.equal(onB.seen.length, all.length, 'each message once on b');
    } finally {
      await a.close();
      await b.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('EmbeddedBus record batches', { timeout: 60_000 }, () => {
  it('resumes a group mid-batch: a handler that fails after part of a stored batch gets the rest, each message once', async () => {
    const bus = new EmbeddedBus({ dataDir: ':memory:' });
    try {
      await bus.ensureTopics([{ name: 'batched', partitions: 1 }]);
      // One produce of 2,500 becomes three stored batches; the group reads 700 at a time, so its commits fall inside batches.
      const values = Array.from({ length: 2500 }, (_, i) => `{"n":${i},"s":"é✓𝄞"}`);
      await bus.produce('batched', values.map((value) => ({ key: 'BTCUSDT', value })));
      const seen: string[] = [];
      const offsets: number[] = [];
      let calls = 0;
      await bus.subscribe({
        groupId: 'g',
        topics: ['batched'],
        fromBeginning: true,
        maxBatchSize: 700,
        handler: (batch) => {
          calls++;
          if (calls === 2) return Promise.reject(new Error('handler failed once'));
          for (const m of batch) {
            seen.push(m.value);
            offsets.push(Number(m.offset));
            assert.equal(m.key, 'BTCUSDT');
          }
          return Promise.resolve();
        },
        onError: () => undefined,
      });
      await waitFor('the first batch', () => (seen.length >= 700 ? true : undefined), 10_000);
      // The failed handler ended that subscription; a new one of the same group resumes at offset 700.
      const rest = collector();
      await bus.subscribe({ groupId: 'g', topics: ['batched'], fromBeginning: true, maxBatchSize: 700, handler: rest.handler, onError: rest.onError });
      await waitFor('the rest', () => (rest.seen.length >= 1800 ? true : undefined), 10_000);
      assert.deepEqual([...seen, ...rest.seen], values);
      assert.deepEqual(offsets, Array.from({ length: 700 }, (_, i) => i));
    } finally {
      await bus.close();
    }
  });

  it('keeps mixed and missing keys per message and gives each partition its own offsets', async () => {
    const bus = new EmbeddedBus({ dataDir: ':memory:' });
    try {
      await bus.ensureTopics([{ name: 'mixed', partitions: 1 }]);
      const sent = [
        { key: 'a', value: 'v0' },
        { key: null, value: '' },
        { key: 'b', value: 'v2' },
        { key: 'a', value: 'v3' },
      ];
      await bus.produce('mixed', sent);
      await bus.produce('mixed', [{ key: null, value: 'v4' }]);
      const got: Array<{ key: string | null; value: string; offset: string }> = [];
      await bus.subscribe({
        groupId: 'g',
        topics: ['mixed'],
        fromBeginning: true,
        handler: (batch) => {
          for (const m of batch) got.push({ key: m.key, value: m.value, offset: m.offset });
          return Promise.resolve();
        },
        onError: failTestOnError('the subscription'),
      });
      await waitFor('five messages', () => (got.length >= 5 ? true : undefined), 10_000);
      assert.deepEqual(got, [...sent, { key: null, value: 'v4' }].map((m, i) => ({ ...m, offset: String(i) })));
    } finally {
      await bus.close();
    }
  });

  it('reads a data dir written one row per message (before record batches) from the committed offsets', async () => {
    const dir = await tempDir();
    try {
      const { DatabaseSync } = await import('node:sqlite');
      const old = new DatabaseSync(join(dir, 'bus.sqlite'));
      old.exec(`
        CREATE TABLE topics (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, partitions INTEGER NOT NULL);
        CREATE TABLE messages (topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
          key TEXT, value TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (topic_id, partition, offset)) WITHOUT ROWID;
        CREATE TABLE group_offsets (group_id TEXT NOT NULL, topic_id INTEGER NOT NULL, partition INTEGER NOT NULL,
          next_offset INTEGER NOT NULL, PRIMARY KEY (group_id, topic_id, partition)) WITHOUT ROWID;
        INSERT INTO topics VALUES (1, 'old', 1);
        INSERT INTO messages VALUES (1, 0, 0, 'k', 'm0', 1), (1, 0, 1, 'k', 'm1', 1), (1, 0, 2, NULL, 'm2', 1);
        INSERT INTO group_offsets VALUES ('g', 1, 0, 1);
      `);
      old.close();
      const bus = new EmbeddedBus({ dataDir: dir });
      try {
        await bus.produce('old', [{ key: 'k', value: 'm3' }]);
        const resumed = collector();
        await bus.subscribe({ groupId: 'g', topics: ['old'], fromBeginning: true, handler: resumed.handler, onError: resumed.onError });
        await waitForAll(resumed.seen, ['m1', 'm2', 'm3'], 'the uncommitted old messages and the new one');
        assert.deepEqual(resumed.seen, ['m1', 'm2', 'm3']);
      } finally {
        await bus.close();
      }

      // An older StreamForge still running on the dir writes into a `messages` table again, numbering
      // from its own log's end (0): those go after the batches, at offsets of their own, none lost.
      const stale = new DatabaseSync(join(dir, 'bus.sqlite'));
      stale.exec(`
        CREATE TABLE IF NOT EXISTS messages (topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
          key TEXT, value TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (topic_id, partition, offset)) WITHOUT ROWID;
        INSERT INTO messages VALUES (1, 0, 0, 'k', 'late-0', 2), (1, 0, 1, 'k', 'late-1', 2);
      `);
      stale.close();
      const again = new EmbeddedBus({ dataDir: dir });
      try {
        const got: Array<[string, string]> = [];
        await again.subscribe({
          groupId: 'g',
          topics: ['old'],
          fromBeginning: true,
          handler: (batch) => {
            for (const m of batch) got.push([m.offset, m.value]);
            return Promise.resolve();
          },
          onError: failTestOnError('the subscription'),
        });
        await waitFor('the late messages', () => (got.length >= 2 ? true : undefined), 10_000);
        assert.deepEqual(got, [['4', 'late-0'], ['5', 'late-1']]);
      } finally {
        await again.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
