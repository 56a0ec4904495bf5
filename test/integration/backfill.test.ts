import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Targets } from '../../src/protocol/index.ts';
import type { Interval } from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator, Hole } from '../../src/system/exchange-simulator/index.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';
import { assertExactCandles } from './exact-data.ts';

const day = 86_400_000;
const utc = (s: string) => Date.parse(`${s}T00:00:00Z`);
const holes: Hole[] = [
  { symbol: 'BTCUSDT', fromMs: utc('2024-08-02') + 3_600_000, toMs: utc('2024-08-02') + 5_400_000 },
  { fromMs: utc('2023-03-10'), toMs: utc('2023-03-11') + 7_200_000 },
];

describe('backfill over the embedded bus and store', () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;

  before(async () => {
    sim = await startExchangeSimulator({ holes, serverErrorRate: 0.1, seed: 7 });
    rt = await startTestRuntime(sim.url, { env: { CONNECTOR_BATCH_SIZE: '700' } });
  });
  after(async () => {
    await rt?.close();
    await sim?.close();
  });

  const cases: Array<{ symbol: string; interval: Interval; from: string; to: string }> = [
    { symbol: 'BTCUSDT', interval: '1m', from: '2024-08-01', to: '2024-08-04' },
    { symbol: 'PEPEUSDT', interval: '1h', from: '2023-01-01', to: '2023-05-01' },
    { symbol: 'ETHUSDT', interval: '1d', from: '2019-01-01', to: '2024-01-01' },
    { symbol: 'BTCUSDT', interval: '1s', from: '2024-03-01', to: '2024-03-01T00:40:00Z' },
    { symbol: 'ETHUSDT', interval: '1w', from: '2018-01-01', to: '2024-06-01' },
    { symbol: 'BTCUSDT', interval: '1M', from: '2017-01-01', to: '2024-06-01' },
    { symbol: 'ETHUSDT', interval: '3d', from: '2022-01-01', to: '2023-01-01' },
    { symbol: 'BTCUSDT', interval: '15m', from: '2023-03-08', to: '2023-03-14' },
  ];

  it('stores exactly what the exchange serves, for several intervals at once, across holes and 5xx', async () => {
    const started = await Promise.all(
      cases.map(async (c) => {
        const fromMs = Date.parse(c.from.includes('T') ? c.from : `${c.from}T00:00:00Z`);
        const toMs = Date.parse(c.to.includes('T') ? c.to : `${c.to}T00:00:00Z`);
        const wf = await rt.manager.create({ symbol: c.symbol, type: `api_candles_${c.interval}`, range: { fromMs, toMs } });
        return { c, wf, fromMs, toMs };
      }),
    );
    for (const { c, wf, fromMs, toMs } of started) {
      const done = await rt.settle(wf.queue_id);
      assert.equal(done.status, 'completed', `${wf.queue_id}: ${JSON.stringify(done.error)}`);
      const n = await assertExactCandles(rt.runtime.store, wf.collection_name, c.symbol, c.interval, fromMs, toMs, { seed: 7, holes });
      assert.equal(done.stages[Targets.connector]?.records, n);
      assert.equal(done.stages[Targets.loader]?.records, n);
      assert.ok(n > 0);
    }
    assert.ok(sim.stats().status5xx > 0, 'the simulator injected server errors');
    assert.equal(sim.stats().status429, 0);
  });

  it('keeps decimals with more significant digits than a float64', async () => {
    const wf = await rt.manager.create({ symbol: 'PEPEUSDT', type: 'api_candles_1d', range: { fromMs: utc('2024-01-01'), toMs: utc('2024-01-01') + 10 * day } });
    const done = await rt.settle(wf.queue_id);
    assert.equal(done.status, 'completed');
    const docs = await rt.runtime.store.range(wf.collection_name);
    const long = docs.map((d) => String(d.volume)).filter((v) => v.replace(/[^0-9]/g, '').replace(/^0+/, '').length > 17);
    assert.ok(long.length > 0, 'PEPEUSDT volumes carry more than 17 significant digits');
    for (const v of long) assert.notEqual(String(Number(v)), v, 'a float64 could not have kept this value');
  });

  it('reports per-stage progress and times in the registry', async () => {
    const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_5m', range: { fromMs: utc('2024-01-01'), toMs: utc('2024-01-08') } });
    const done = await rt.settle(wf.queue_id);
    assert.equal(done.status, 'completed');
    assert.ok(done.started_at !== undefined && done.finished_at !== undefined && done.finished_at >= done.started_at);
    const loader = done.stages[Targets.loader];
    const connector = done.stages[Targets.connector];
    assert.equal(loader?.status, 'finished');
    assert.equal(connector?.status, 'finished');
    assert.equal(connector?.records, 7 * 288);
    assert.match(done.queue_id, /^wf-btcusdt-api_candles_5m-20240101-[0-9a-f]{6}$/);
    assert.equal(done.collection_name, 'btcusdt_api_candles_5m_2024_01_01');
  });
});
