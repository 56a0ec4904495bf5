import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { missingCandleSpan } from '../../src/actors/audit/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

async function withStore(fn: (store: EmbeddedStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-missing-'));
  const store = new EmbeddedStore(dir);
  try {
    await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function storeHours(store: EmbeddedStore, collection: string, hours: readonly number[]): Promise<void> {
  await store.ensureCollection(collection, { sortField: 'open_time' });
  await store.upsert(collection, hours.map((h) => ({ _key: String(T0 + h * HOUR), open_time: T0 + h * HOUR, symbol: 'BTCUSDT', interval: '1h' })));
}

void describe('missingCandleSpan', () => {
  const range = { fromMs: T0, toMs: T0 + 48 * HOUR };
  const later = T0 + 1000 * HOUR;

  void it('is the whole range when nothing is stored', () =>
    withStore(async (store) => {
      assert.deepEqual(await missingCandleSpan(store, 'BTCUSDT', '1h', range, later), range);
    }));

  void it('is undefined when every candle is stored, whichever workflows and sources wrote them', () =>
    withStore(async (store) => {
      await storeHours(store, 'btcusdt_api_candles_1h_2024_01_01', Array.from({ length: 30 }, (_, h) => h));
      await storeHours(store, 'btcusdt_archive_candles_1h_2023_12_01', Array.from({ length: 23 }, (_, h) => h + 25));
      assert.equal(await missingCandleSpan(store, 'BTCUSDT', '1h', range, later), undefined);
    }));

  void it('spans from the first missing candle to just after the last, ignoring other intervals and symbols', () =>
    withStore(async (store) => {
      await storeHours(store, 'btcusdt_api_candles_1h_2024_01_01', [...Array.from({ length: 10 }, (_, h) => h), ...Array.from({ length: 20 }, (_, h) => h + 28)]);
      await storeHours(store, 'btcusdt_api_candles_1m_2024_01_01', Array.from({ length: 48 }, (_, h) => h));
      await storeHours(store, 'ethusdt_api_candles_1h_2024_01_01', Array.from({ length: 48 }, (_, h) => h));
      assert.deepEqual(await missingCandleSpan(store, 'BTCUSDT', '1h', range, later), { fromMs: T0 + 10 * HOUR, toMs: T0 + 28 * HOUR });
    }));

  void it('does not count candles that have not closed yet', () =>
    withStore(async (store) => {
      await storeHours(store, 'btcusdt_api_candles_1h_2024_01_01', Array.from({ length: 5 }, (_, h) => h));
      // At 05:30 only the candles up to 04:00 have closed: all stored.
      assert.equal(await missingCandleSpan(store, 'BTCUSDT', '1h', range, T0 + 5.5 * HOUR), undefined);
      assert.deepEqual(await missingCandleSpan(store, 'BTCUSDT', '1h', range, T0 + 7 * HOUR), { fromMs: T0 + 5 * HOUR, toMs: T0 + 7 * HOUR });
    }));
});
