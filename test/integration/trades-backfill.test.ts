import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator, Hole } from '../../src/system/exchange-simulator/index.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeDataDir } from '../helpers/test-runtime.ts';
import { assertExactAggTrades } from './exact-data.ts';

const from = Date.parse('2024-08-01T00:00:00Z');
const to = Date.parse('2024-08-01T02:00:00Z');
// A maintenance window inside the range, and 5xx on some requests: the loader steps over the one and retries the other.
const holes: Hole[] = [{ symbol: 'BTCUSDT', fromMs: from + 40 * 60_000, toMs: from + 70 * 60_000 }];

describe('api_trades: a REST trade backfill through the CLI, in one process', () => {
  let sim: ExchangeSimulator;
  let dataDir: string;
  before(async () => {
    sim = await startExchangeSimulator({ holes, serverErrorRate: 0.2, seed: 3 });
    dataDir = await makeDataDir();
  });
  after(async () => {
    await sim?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores every aggregate trade of the range exactly once, keyed by aggregate id', async () => {
    const run = await runCli(
      ['backfill', 'BTCUSDT', '--type', 'api_trades', '--from', '2024-08-01T00:00:00Z', '--to', '2024-08-01T02:00:00Z', '--no-progress'],
      { BINANCE_API_URL: sim.url, STREAMFORGE_DATA_DIR: dataDir, LOADER_CONCURRENCY: '3' },
      120_000,
    );
    assert.equal(run.code, 0, run.stderr);
    const done = /^completed (wf-btcusdt-api_trades-20240801-[0-9a-f]{6}): (\d+) \w+/.exec(run.stdout);
    assert.ok(done, run.stdout);
    const store = new EmbeddedStore(dataDir);
    try {
      const n = await assertExactAggTrades(store, 'BTCUSDT', from, to, { holes, seed: 3 });
      assert.equal(Number(done[2]), n, 'the connector wrote as many trades as the loader sent');
      assert.equal(n, 90 * 60 * 3, 'three aggregate trades a second outside the 30-minute hole');
      const collection = 'btcusdt_api_trades_2024_08_01';
      assert.equal(await store.count(collection, { from, to }), n, 'one document per aggregate id');
      const first = (await store.range(collection, { limit: 1 }))[0];
      assert.equal(first?._key, `BTCUSDT_${String(first?.trade_id)}`);
    } finally {
      await store.close();
    }
    assert.ok(sim.stats().status5xx > 0, 'the simulator injected server errors');
    assert.equal(sim.stats().status429, 0);
  });
});
