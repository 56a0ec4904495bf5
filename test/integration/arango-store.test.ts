// The Store contract against a real ArangoDB server, when `ARANGO_URL` names one (with
// ARANGO_USER / ARANGO_PASSWORD as the services read them). Every test gets a database of its
// own, created on demand by the store and dropped afterwards. Without a server the suite is
// reported as skipped: it is never run against a fake.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Database } from 'arangojs';
import type { Store } from '../../src/actors/ports/index.ts';
import { StoreError } from '../../src/protocol/index.ts';
import { loadConfig } from '../../src/system/config/index.ts';
import type { Config } from '../../src/system/config/index.ts';
import { ArangoStore, SORT_INDEX_NAME, createStore } from '../../src/system/store/index.ts';
import { storeContract } from '../helpers/store-contract.ts';

if (!process.env['ARANGO_URL']?.trim()) {
  it('ArangoDB store contract', { skip: 'ARANGO_URL is not set: no ArangoDB server on this machine' }, () => {});
} else {
  const base = loadConfig();

  function freshDatabaseName(): string {
    return `sf_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  }

  async function dropDatabase(config: Config): Promise<void> {
    const system = new Database({
      url: config.ARANGO_URL ?? '',
      databaseName: '_system',
      auth: { username: config.ARANGO_USER, ...(config.ARANGO_PASSWORD !== undefined ? { password: config.ARANGO_PASSWORD } : {}) },
    });
    try {
      if (await system.database(config.ARANGO_DB).exists()) await system.dropDatabase(config.ARANGO_DB);
    } finally {
      system.close();
    }
  }

  /** A store on a database of its own, built the way the runtime builds it. */
  function makeStore(): { store: Store; config: Config; cleanup: () => Promise<void> } {
    const config = loadConfig({ ARANGO_DB: freshDatabaseName() });
    const store = createStore(config);
    assert.equal(store.kind, 'arango');
    return {
      store,
      config,
      cleanup: async () => {
        await store.close();
        await dropDatabase(config);
      },
    };
  }

  storeContract(`ArangoStore at ${base.ARANGO_URL ?? ''}`, () => Promise.resolve(makeStore()));

  describe('ArangoStore on a real server', { timeout: 120_000 }, () => {
    it('another process learns the sort field from the collection’s index', async () => {
      const { store, config, cleanup } = makeStore();
      try {
        await store.ensureCollection('btcusdt_api_candles_5m_2024_08_01', { sortField: 'open_time' });
        await store.upsert('btcusdt_api_candles_5m_2024_08_01', [
          { _key: 'b', open_time: 2 },
          { _key: 'a', open_time: 1 },
        ]);
        const other = createStore(config);
        try {
          // No ensureCollection here: range and count must find `open_time` on the server.
          assert.deepEqual((await other.range('btcusdt_api_candles_5m_2024_08_01')).map((d) => d._key), ['a', 'b']);
          assert.equal(await other.count('btcusdt_api_candles_5m_2024_08_01', { from: 2 }), 1);
        } finally {
          await other.close();
        }
      } finally {
        await cleanup();
      }
    });

    it('creates a persistent index on the sort field', async () => {
      const { store, config, cleanup } = makeStore();
      const db = new Database({
        url: config.ARANGO_URL ?? '',
        databaseName: config.ARANGO_DB,
        auth: { username: config.ARANGO_USER, ...(config.ARANGO_PASSWORD !== undefined ? { password: config.ARANGO_PASSWORD } : {}) },
      });
      try {
        await store.ensureCollection('queues', { sortField: 'created_at' });
        const index = (await db.collection('queues').indexes()).find((i) => i.name === SORT_INDEX_NAME);
        assert.equal(index?.type, 'persistent');
        assert.deepEqual(index?.fields, ['created_at']);
      } finally {
        db.close();
        await cleanup();
      }
    });

    it('concurrent ensureCollection calls from several stores all succeed', async () => {
      const { config, cleanup } = makeStore();
      const stores = Array.from({ length: 4 }, () => createStore(config));
      try {
        await Promise.all(stores.map((s) => s.ensureCollection('raced', { sortField: 'open_time' })));
        assert.deepEqual(await stores[0]?.listCollections('raced'), ['raced']);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await cleanup();
      }
    });

    it('upserts more than one batch, the last duplicate winning', async () => {
      const { store, config, cleanup } = makeStore();
      const small = new ArangoStore({
        url: config.ARANGO_URL ?? '',
        databaseName: config.ARANGO_DB,
        username: config.ARANGO_USER,
        ...(config.ARANGO_PASSWORD !== undefined ? { password: config.ARANGO_PASSWORD } : {}),
        batchSize: 1000,
      });
      try {
        await small.ensureCollection('many', { sortField: 'open_time' });
        const docs = Array.from({ length: 3500 }, (_, i) => ({ _key: `k${i % 2500}`, open_time: i % 2500, v: i }));
        await small.upsert('many', docs);
        assert.equal(await small.count('many'), 2500);
        assert.equal((await small.get('many', 'k0'))?.['v'], 2500);
        assert.equal((await store.range('many', { from: 2499 }))[0]?.['v'], 2499);
      } finally {
        await small.close();
        await cleanup();
      }
    });

    it('classifies a bad document key as not retriable and imports nothing of its batch', async () => {
      const { store, cleanup } = makeStore();
      try {
        await store.ensureCollection('keys', { sortField: 'open_time' });
        await assert.rejects(
          store.upsert('keys', [
            { _key: 'good', open_time: 1 },
            { _key: 'bad/key', open_time: 2 },
          ]),
          (err: unknown) => err instanceof StoreError && !err.retriable,
        );
        assert.equal(await store.count('keys'), 0);
      } finally {
        await cleanup();
      }
    });
  });
}
