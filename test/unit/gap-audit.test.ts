import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { aggTradeFromRow, AGG_TRADE_SERIES, candleFromKline, candleKey, TRADE_SERIES, tradeFromRow } from '../../src/protocol/index.ts';
import type { Interval } from '../../src/protocol/index.ts';
import { BinanceRestClient } from '../../src/actors/index.ts';
import { CandleGrid, classifyCandleRun, findTradeHoles, GapAudit, holesOf, missingCandleRuns } from '../../src/actors/audit/index.ts';
import type { GapReport, Hole } from '../../src/actors/audit/index.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { PromMetrics, systemClock } from '../../src/system/observability/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { expectedAggTrades, expectedKlines, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator, Hole as SimHole } from '../../src/system/exchange-simulator/index.ts';
import { expectedTrades } from '../../src/system/exchange-simulator/trade-query.ts';

const minute = 60_000;
const hour = 3_600_000;
const utc = (s: string) => Date.parse(s.includes('T') ? s : `${s}T00:00:00Z`);

describe('candle grid', () => {
  it('aligns weeks on Mondays and months on the calendar, like Binance', () => {
    assert.equal(CandleGrid.floor('1w', utc('2024-08-01T13:00:00Z')), utc('2024-07-29'));
    assert.equal(CandleGrid.ceil('1w', utc('2024-08-01')), utc('2024-08-05'));
    assert.equal(CandleGrid.ceil('1w', utc('2024-08-05')), utc('2024-08-05'));
    assert.equal(CandleGrid.floor('1M', utc('2024-02-29T23:59:59Z')), utc('2024-02-01'));
    assert.equal(CandleGrid.next('1M', utc('2024-12-01')), utc('2025-01-01'));
    assert.equal(CandleGrid.ceil('1M', utc('2024-01-31')), utc('2024-02-01'));
    assert.equal(CandleGrid.floor('3d', utc('1970-01-05')), utc('1970-01-04'));
    assert.equal(CandleGrid.ceil('1m', utc('2024-08-01') + 1), utc('2024-08-01') + minute);
  });
});

describe('finding holes', () => {
  const t0 = utc('2024-08-01');
  const m = (i: number) => t0 + i * minute;

  it('merges missing open times into runs, edges included, off-grid times ignored', () => {
    const stored = [m(2), m(3), m(3) + 7, m(6), m(7), m(9)];
    assert.deepEqual(missingCandleRuns(stored, '1m', t0, m(12)), [
      { fromMs: m(0), toMs: m(2), count: 2, neighbour: 0 },
      { fromMs: m(4), toMs: m(6), count: 2, neighbour: 2 },
      { fromMs: m(8), toMs: m(9), count: 1, neighbour: 4 },
      { fromMs: m(10), toMs: m(12), count: 2, neighbour: 5 },
    ]);
    assert.deepEqual(missingCandleRuns([], '1m', t0 + 1, m(3)), [{ fromMs: m(1), toMs: m(3), count: 2, neighbour: -1 }]);
    assert.deepEqual(missingCandleRuns([m(0), m(1)], '1m', t0, m(2)), []);
  });

  it('walks calendar months and Monday weeks', () => {
    const months = ['2024-01-01', '2024-02-01', '2024-04-01', '2024-05-01'].map(utc);
    assert.deepEqual(missingCandleRuns(months, '1M', utc('2024-01-01'), utc('2024-07-01')), [
      { fromMs: utc('2024-03-01'), toMs: utc('2024-04-01'), count: 1, neighbour: 1 },
      { fromMs: utc('2024-06-01'), toMs: utc('2024-07-01'), count: 1, neighbour: 3 },
    ]);
    const weeks = ['2024-07-29', '2024-08-12'].map(utc);
    assert.deepEqual(missingCandleRuns(weeks, '1w', utc('2024-07-25'), utc('2024-08-19')), [
      { fromMs: utc('2024-08-05'), toMs: utc('2024-08-12'), count: 1, neighbour: 0 },
    ]);
  });

  it('splits a run by what the exchange has: ours where it has candles, its own hole where not', () => {
    const run = { fromMs: m(0), toMs: m(6), count: 6, neighbour: 3 };
    assert.deepEqual(classifyCandleRun(run, '1m', new Set([m(0), m(1), m(4)])), [
      { owner: 'ours', fromMs: m(0), toMs: m(2), count: 2, neighbour: 3 },
      { owner: 'exchange', fromMs: m(2), toMs: m(4), count: 2, neighbour: 3 },
      { owner: 'ours', fromMs: m(4), toMs: m(5), count: 1, neighbour: 3 },
      { owner: 'exchange', fromMs: m(5), toMs: m(6), count: 1, neighbour: 3 },
    ]);
  });

  it('finds missing trade ids anywhere, the range edges included, and long quiet stretches as the exchange’s', () => {
    const ids = [12, 13, 14, 18, 19, 20];
    const times = [m(1), m(1), m(2), m(3), m(9), m(9) + 5];
    const bounds = { firstId: 10, endId: 23, fromMs: t0, toMs: m(10) };
    assert.deepEqual(findTradeHoles(ids, times, bounds, 2 * minute), [
      { owner: 'ours', fromMs: t0, toMs: m(1) + 1, count: 2, fromId: 10, toId: 11, neighbour: 0 },
      { owner: 'ours', fromMs: m(2), toMs: m(3) + 1, count: 3, fromId: 15, toId: 17, neighbour: 2 },
      { owner: 'exchange', fromMs: m(3) + 1, toMs: m(9), count: 0, neighbour: 3 },
      { owner: 'ours', fromMs: m(9) + 5, toMs: m(10), count: 2, fromId: 21, toId: 22, neighbour: 5 },
    ]);
    // Nothing stored: all of it is ours. All stored, quiet edges: the exchange's.
    assert.deepEqual(findTradeHoles([], [], bounds, minute), [{ owner: 'ours', fromMs: t0, toMs: m(10), count: 13, fromId: 10, toId: 22, neighbour: -1 }]);
    assert.deepEqual(findTradeHoles([10, 11], [m(3), m(4)], { ...bounds, endId: 12 }, minute), [
      { owner: 'exchange', fromMs: t0, toMs: m(3), count: 0, neighbour: 0 },
      { owner: 'exchange', fromMs: m(4) + 1, toMs: m(10), count: 0, neighbour: 1 },
    ]);
  });
});

describe('GapAudit against the exchange simulator', () => {
  const base = utc('2024-06-03');
  const holes: SimHole[] = [
    { symbol: 'BTCUSDT', fromMs: base + hour, toMs: base + hour + 30 * minute },
    { symbol: 'ETHUSDT', fromMs: base + 10 * minute, toMs: base + 12 * minute },
    // Trading stops for good (a delisting): no trade follows a range that ends there.
    { symbol: 'PEPEUSDT', fromMs: base + 8 * hour, toMs: utc('2100-01-01') },
  ];
  const pepeListedAt = utc('2020-03-15T08:00:00Z');
  let sim: ExchangeSimulator;
  let http: UndiciHttpClient;
  let store: EmbeddedStore;
  const clients = new Map<string, BinanceRestClient>();

  before(async () => {
    sim = await startExchangeSimulator({ holes, symbols: { BTCUSDT: {}, ETHUSDT: {}, PEPEUSDT: { listedAtMs: pepeListedAt } } });
    http = new UndiciHttpClient();
    store = new EmbeddedStore(':memory:');
  });
  after(async () => {
    await store?.close();
    await http?.close();
    await sim?.close();
  });

  async function auditor(symbol: string, quietMs?: number): Promise<GapAudit> {
    let client = clients.get(symbol);
    if (!client) {
      client = new BinanceRestClient({ baseUrl: sim.url, http, clock: systemClock, metrics: new PromMetrics({ defaults: false }), log: pino({ level: 'silent' }) });
      await client.init(symbol);
      clients.set(symbol, client);
    }
    return new GapAudit({ store, client, ...(quietMs === undefined ? {} : { quietMs }) });
  }

  async function storeCandles(collection: string, symbol: string, interval: Interval, fromMs: number, toMs: number, skip: (open: number) => boolean): Promise<void> {
    await store.ensureCollection(collection, { sortField: 'open_time' });
    const candles = expectedKlines(symbol, interval, fromMs, toMs, { holes, ...(symbol === 'PEPEUSDT' ? { listedAtMs: pepeListedAt } : {}) })
      .filter((k) => !skip(k[0]))
      .map((k) => candleFromKline([k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10], k[11]], symbol, interval));
    await store.upsert(collection, candles.map((c) => ({ _key: candleKey(c), ...c })));
  }

  async function storedCandleRows(prefixes: readonly string[], fromMs: number, toMs: number): Promise<unknown[][]> {
    const byOpen = new Map<number, unknown[]>();
    const names = (await Promise.all(prefixes.map((p) => store.listCollections(p)))).flat();
    for (const name of names) {
      for (const d of await store.range(name, { from: fromMs, to: toMs })) {
        byOpen.set(d.open_time as number, [d.open_time, d.open, d.high, d.low, d.close, d.volume, d.close_time, d.quote_asset_volume, d.number_of_trades, d.taker_buy_base_asset_volume, d.taker_buy_quote_asset_volume]);
      }
    }
    return [...byOpen.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
  }

  const brief = (r: GapReport) => r.holes.map((h: Hole) => [h.owner, h.fromMs - r.fromMs, h.toMs - r.fromMs, h.count]);

  it('candles: tells our holes from a maintenance window, across two collections, and repairs ours exactly', async () => {
    const fromMs = base;
    const toMs = base + 6 * hour;
    const mins = (a: number, b: number) => (open: number) => open >= base + a * minute && open < base + b * minute;
    const deleted = [mins(0, 2), mins(10, 15), mins(55, 60), mins(357, 360)];
    await storeCandles('btcusdt_api_candles_1m_2024_06_03', 'BTCUSDT', '1m', fromMs, base + 3 * hour, (o) => deleted.some((d) => d(o)));
    await storeCandles('btcusdt_ws_candles_1m_2024_06_03', 'BTCUSDT', '1m', base + 3 * hour, toMs, (o) => deleted.some((d) => d(o)));
    const audit = await auditor('BTCUSDT');
    const q = { symbol: 'BTCUSDT', type: 'api_candles_1m', fromMs, toMs };
    const report = await audit.audit(q);
    assert.deepEqual(brief(report), [
      ['ours', 0, 2 * minute, 2],
      ['ours', 10 * minute, 15 * minute, 5],
      ['ours', 55 * minute, 60 * minute, 5],
      ['exchange', 60 * minute, 90 * minute, 30],
      ['ours', 357 * minute, 360 * minute, 3],
    ]);
    assert.equal(report.stored, 360 - 30 - 15);
    const a = 'btcusdt_api_candles_1m_2024_06_03';
    const live = 'btcusdt_ws_candles_1m_2024_06_03';
    assert.deepEqual(holesOf(report, 'ours').map((h) => h.collection), [a, a, a, live], 'each repair goes beside its neighbours, whichever source wrote them');

    const repaired = await audit.repair(report);
    assert.deepEqual(repaired, { holes: 4, records: 15, collections: [a, live] });
    const again = await audit.audit(q);
    assert.deepEqual(brief(again), [['exchange', 60 * minute, 90 * minute, 30]]);
    assert.deepEqual(await storedCandleRows(['btcusdt_api_candles_1m_', 'btcusdt_ws_candles_1m_'], fromMs, toMs), expectedKlines('BTCUSDT', '1m', fromMs, toMs, { holes }).map((k) => k.slice(0, 11)));
  });

  it('candles by calendar month and Monday week: before the listing is the exchange’s hole', async () => {
    await storeCandles('pepeusdt_api_candles_1M_2019_06_01', 'PEPEUSDT', '1M', utc('2019-06-01'), utc('2021-01-01'), (o) => o === utc('2020-07-01'));
    const audit = await auditor('PEPEUSDT');
    const months = await audit.audit({ symbol: 'PEPEUSDT', type: 'api_candles_1M', fromMs: utc('2019-06-01'), toMs: utc('2021-01-01') });
    assert.deepEqual(
      months.holes.map((h) => [h.owner, new Date(h.fromMs).toISOString().slice(0, 10), new Date(h.toMs).toISOString().slice(0, 10), h.count]),
      [
        ['exchange', '2019-06-01', '2020-03-01', 9],
        ['ours', '2020-07-01', '2020-08-01', 1],
      ],
    );
    await storeCandles('pepeusdt_api_candles_1w_2020_01_01', 'PEPEUSDT', '1w', utc('2020-01-01'), utc('2020-06-01'), (o) => o === utc('2020-04-13'));
    const weeks = await audit.audit({ symbol: 'PEPEUSDT', type: 'api_candles_1w', fromMs: utc('2020-01-01'), toMs: utc('2020-06-01') });
    assert.deepEqual(
      weeks.holes.map((h) => [h.owner, new Date(h.fromMs).toISOString().slice(0, 10), h.count]),
      [
        ['exchange', '2020-01-06', 9],
        ['ours', '2020-04-13', 1],
      ],
    );
  });

  it('aggregate trades: missing ids at both edges and inside are ours, a maintenance stretch the exchange’s; repaired exactly', async () => {
    const fromMs = base;
    const toMs = base + 30 * minute;
    const expected = expectedAggTrades('ETHUSDT', fromMs, toMs, { holes });
    const mid = Math.floor(expected.length / 3);
    const gone = new Set([...expected.slice(0, 5), ...expected.slice(mid, mid + 100), ...expected.slice(-7)].map((r) => r.a));
    const collection = 'ethusdt_api_trades_2024_06_03';
    await store.ensureCollection(collection, { sortField: 'timestamp' });
    const trades = expected.filter((r) => !gone.has(r.a)).map((r) => aggTradeFromRow(r, 'ETHUSDT'));
    await store.upsert(collection, trades.map((t) => ({ _key: AGG_TRADE_SERIES.key(t), ...t })));
    const audit = await auditor('ETHUSDT', minute);
    const q = { symbol: 'ETHUSDT', type: 'api_trades', fromMs, toMs };
    const report = await audit.audit(q);
    const first = expected[0]?.a ?? 0;
    assert.deepEqual(
      holesOf(report, 'ours').map((h) => [h.fromId, h.toId, h.count]),
      [
        [first, first + 4, 5],
        [first + mid, first + mid + 99, 100],
        [first + expected.length - 7, first + expected.length - 1, 7],
      ],
    );
    const quiet = holesOf(report, 'exchange');
    assert.equal(quiet.length, 1);
    assert.ok(quiet[0] && quiet[0].fromMs <= base + 10 * minute && quiet[0].toMs >= base + 12 * minute && quiet[0].toMs - quiet[0].fromMs < 2 * minute + 5_000);

    const repaired = await audit.repair(report);
    assert.equal(repaired.records, 112);
    const again = await audit.audit(q);
    assert.equal(holesOf(again, 'ours').length, 0);
    assert.equal(holesOf(again, 'exchange').length, 1);
    const stored = (await store.range(collection, { from: fromMs, to: toMs })).map((d) => d.trade_id as number).sort((a, b) => a - b);
    assert.deepEqual(stored, expected.map((r) => r.a));
    assert.deepEqual(await store.get(collection, `ETHUSDT_${first + mid}`), { _key: `ETHUSDT_${first + mid}`, ...aggTradeFromRow(expected[mid] ?? assert.fail(), 'ETHUSDT') });
  });

  it('aggregate trades with nothing stored: one hole of ours, repaired into the collection a workflow would use', async () => {
    const fromMs = base + 4 * hour;
    const toMs = base + 4 * hour + 3 * minute;
    const audit = await auditor('BTCUSDT');
    const q = { symbol: 'BTCUSDT', type: 'api_trades', fromMs, toMs };
    const report = await audit.audit(q);
    const expected = expectedAggTrades('BTCUSDT', fromMs, toMs, { holes });
    assert.deepEqual(report.holes.map((h) => [h.owner, h.count, h.collection]), [['ours', expected.length, undefined]]);
    const repaired = await audit.repair(report);
    assert.deepEqual(repaired.collections, ['btcusdt_api_trades_2024_06_03']);
    assert.equal(await store.count('btcusdt_api_trades_2024_06_03', { from: fromMs, to: toMs }), expected.length);
    assert.equal((await audit.audit(q)).holes.length, 0);
  });

  it('aggregate trades with no trade after the range: the end id from the newest trade, not by paging through the range', async () => {
    const fromMs = base + 6 * hour;
    const toMs = base + 8 * hour;
    const expected = expectedAggTrades('PEPEUSDT', fromMs, toMs, { holes, listedAtMs: pepeListedAt });
    assert.ok(expected.length > 10_000, `enough trades that paging them would take many requests (${expected.length})`);
    const audit = await auditor('PEPEUSDT');
    sim.resetStats();
    const report = await audit.audit({ symbol: 'PEPEUSDT', type: 'api_trades', fromMs, toMs });
    assert.deepEqual(report.holes.map((h) => [h.owner, h.fromId, h.toId, h.count]), [['ours', expected[0]?.a, expected.at(-1)?.a, expected.length]]);
    const requests = sim.stats().requestsByPath['/api/v3/aggTrades'] ?? 0;
    assert.ok(requests <= 30, `${requests} aggTrades requests: the forward search (24 windows) and the newest trade, no paging`);
  });

  it('single trades (ws_trades): missing trade ids found and repaired from historicalTrades', async () => {
    const fromMs = base + 20 * minute;
    const toMs = base + 25 * minute;
    const expected = expectedTrades('ETHUSDT', fromMs, toMs, { holes });
    const collection = 'ethusdt_ws_trades_2024_06_03';
    await store.ensureCollection(collection, { sortField: 'timestamp' });
    const keep = expected.filter((_, i) => i < 40 || i >= 1240);
    const docs = keep.map((r) => tradeFromRow(r, 'ETHUSDT'));
    await store.upsert(collection, docs.map((t) => ({ _key: TRADE_SERIES.key(t), ...t })));
    const audit = await auditor('ETHUSDT', minute);
    const q = { symbol: 'ETHUSDT', type: 'ws_trades', fromMs, toMs };
    const report = await audit.audit(q);
    assert.deepEqual(report.holes.map((h) => [h.owner, h.fromId, h.count]), [['ours', expected[40]?.id, 1200]]);
    assert.equal((await audit.repair(report)).records, 1200);
    assert.equal((await audit.audit(q)).holes.length, 0);
    const stored = await store.range(collection, { from: fromMs, to: toMs });
    const byId = new Map(stored.map((d) => [d.trade_id as number, d]));
    assert.deepEqual(expected.map((r) => byId.get(r.id)), expected.map((r) => ({ _key: `ETHUSDT_${r.id}`, ...tradeFromRow(r, 'ETHUSDT') })));
  });
});
