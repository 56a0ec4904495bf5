import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { storeContract } from '../helpers/store-contract.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sf-store-test-'));
}

storeContract('EmbeddedStore on a data dir', async () => {
  const dir = await tempDir();
  const store = new EmbeddedStore(dir);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

storeContract('EmbeddedStore in memory', () => {
  const store = new EmbeddedStore(':memory:');
  return Promise.resolve({ store, cleanup: () => store.close() });
});

describe('EmbeddedStore durability', () => {
  it('keeps collections, documents and sort fields across close and reopen of the same dir', async () => {
    const dir = await tempDir();
    try {
      const first = new EmbeddedStore(dir);
      await first.ensureCollection('btcusdt_api_candles_5m_2024_08_01', { sortField: 'open_time' });
      await first.upsert('btcusdt_api_candles_5m_2024_08_01', [
        { _key: 'b', open_time: 2, volume: '12345678901234567890.12345' },
        { _key: 'a', open_time: 1, volume: '1.0' },
      ]);
      await first.close();

      const second = new EmbeddedStore(dir);
      try {
        assert.deepEqual(await second.listCollections('btcusdt_'), ['btcusdt_api_candles_5m_2024_08_01']);
        assert.equal(await second.count('btcusdt_api_candles_5m_2024_08_01'), 2);
        assert.deepEqual(await second.get('btcusdt_api_candles_5m_2024_08_01', 'b'), {
          _key: 'b',
          open_time: 2,
          volume: '12345678901234567890.12345',
        });
        // The sort field survived too: upsert without ensureCollection, ranges still ordered by it.
        await second.upsert('btcusdt_api_candles_5m_2024_08_01', [{ _key: 'c', open_time: 0, volume: '0' }]);
        const keys = (await second.range('btcusdt_api_candles_5m_2024_08_01', { to: 2 })).map((d) => d._key);
        assert.deepEqual(keys, ['c', 'a']);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('EmbeddedStore collection names', () => {
  it('keeps collections apart whose names differ only in case (1m and 1M candles)', async () => {
    const store = new EmbeddedStore(':memory:');
    try {
      await store.ensureCollection('btcusdt_api_candles_1m_2024_01_01', { sortField: 't' });
      await store.ensureCollection('btcusdt_api_candles_1M_2024_01_01', { sortField: 't' });
      await store.upsert('btcusdt_api_candles_1m_2024_01_01', [{ _key: 'a', t: 1 }, { _key: 'b', t: 2 }]);
      await store.upsert('btcusdt_api_candles_1M_2024_01_01', [{ _key: 'a', t: 1 }]);
      assert.equal(await store.count('btcusdt_api_candles_1m_2024_01_01'), 2);
      assert.equal(await store.count('btcusdt_api_candles_1M_2024_01_01'), 1);
    } finally {
      await store.close();
    }
  });
});

describe('EmbeddedStore compare-and-set and lookups by field', () => {
  it('compareAndSet holds across two stores on one data dir: a claim on a state another connection changed fails', async () => {
    const dir = await tempDir();
    const a = new EmbeddedStore(dir);
    const b = new EmbeddedStore(dir);
    try {
      await a.ensureCollection('queues', { sortField: 'created_at' });
      await b.ensureCollection('queues', { sortField: 'created_at' });
      await a.upsert('queues', [{ _key: 'wf', created_at: 1, owner: 'gone', owner_heartbeat_at: 10 }]);
      const seenByA = await a.get('queues', 'wf');
      const seenByB = await b.get('queues', 'wf');
      assert.deepEqual(seenByA, seenByB);
      const expected = { owner: 'gone', owner_heartbeat_at: 10 };
      assert.equal(await b.compareAndSet('queues', { _key: 'wf', created_at: 1, owner: 'b', owner_heartbeat_at: 20 }, expected), true);
      assert.equal(await a.compareAndSet('queues', { _key: 'wf', created_at: 1, owner: 'a', owner_heartbeat_at: 20 }, expected), false);
      assert.equal((await a.get('queues', 'wf'))?.['owner'], 'b');
    } finally {
      await a.close();
      await b.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('looks documents up by an indexed field through its index, also in a file made before the field was indexed', async () => {
    const dir = await tempDir();
    try {
      const before = new EmbeddedStore(dir);
      await before.ensureCollection('queues', { sortField: 'created_at' });
      await before.upsert('queues', [{ _key: 'old', created_at: 1, status: 'running' }]);
      await before.close();
      const store = new EmbeddedStore(dir);
      await store.ensureCollection('queues', { sortField: 'created_at', indexedFields: ['status'] });
      assert.deepEqual((await store.findWhere('queues', 'status', ['running'])).map((d) => d._key), ['old']);
      await store.close();
      const { DatabaseSync } = await import('node:sqlite');
      const db = new DatabaseSync(join(dir, 'store.sqlite'));
      try {
        const { table_name: table } = db.prepare("SELECT table_name FROM collections WHERE name = 'queues'").get() as { table_name: string };
        const plan = db
          .prepare(`EXPLAIN QUERY PLAN SELECT doc FROM "${table}" WHERE json_extract(doc, '$.status') IN (?, ?) ORDER BY sort, key`)
          .all('pending', 'running') as Array<{ detail: string }>;
        assert.ok(plan.some((row) => row.detail.includes(`${table}_f_`)), JSON.stringify(plan));
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
