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
