import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import type { BusMessage } from '../../src/actors/ports/index.ts';
import { busContract } from '../helpers/bus-contract.ts';
import { waitFor } from '../helpers/wait-for.ts';

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

function collector(): { readonly seen: string[]; handler: (batch: readonly BusMessage[]) => Promise<void> } {
  const seen: string[] = [];
  return {
    seen,
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
      const sub = await first.subscribe({ groupId: 'connector', topics: ['wf-durable-data'], fromBeginning: true, handler: consumed.handler });
      await waitForAll(consumed.seen, early, 'the early messages');
      await sub.close();
      const late = ['l0', 'l1', 'l2'];
      await first.produce('wf-durable-data', late.map((value, i) => ({ key: `k${i}`, value })));
      await first.close();

      const second = new EmbeddedBus({ dataDir: dir });
      try {
        const resumed = collector();
        await second.subscribe({ groupId: 'connector', topics: ['wf-durable-data'], fromBeginning: true, handler: resumed.handler });
        await waitForAll(resumed.seen, late, 'the late messages after reopen');
        assert.deepEqual(resumed.seen.filter((v) => early.includes(v)), [], 'committed messages are not redelivered');
        const fresh = collector();
        await second.subscribe({ groupId: 'fresh-group', topics: ['wf-durable-data'], fromBeginning: true, handler: fresh.handler });
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
      await a.subscribe({ groupId: 'on-a', topics: ['shared'], fromBeginning: true, handler: onA.handler });
      await b.subscribe({ groupId: 'on-b', topics: ['shared'], fromBeginning: true, handler: onB.handler });

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
