import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { aggTradeFromRow, AGG_TRADE_SERIES, candleFromKline, candleKey } from '../../src/protocol/index.ts';
import { BinanceRestClient } from '../../src/actors/index.ts';
import { GapAudit, holesOf, MissingCandleScan, missingCandleRuns } from '../../src/actors/audit/index.ts';
import type { GapReport } from '../../src/actors/audit/index.ts';
import type { RangeQuery, Store } from '../../src/actors/ports/index.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { PromMetrics, systemClock } from '../../src/system/observability/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { storeWith } from '../helpers/store-wrapper.ts';
import { expectedAggTrades, expectedKlines, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator, Hole as SimHole } from '../../src/system/exchange-simulator/index.ts';

const minute = 60_000;
const hour = 3_600_000;
const base = Date.parse('2024-06-03T00:00:00Z');

/** The embedded store, recording the widest time span any range query asked for. */
function spanRecording(store: Store): { store: Store; widest: () => number } {
  let widest = 0;
  const recording = storeWith(store, {
    range: (collection: string, query?: RangeQuery) => {
      widest = Math.max(widest, (query?.to ?? Infinity) - (query?.from ?? -Infinity));
      return store.range(collection, query);
    },
  });

  return { store: recording, widest: () => widest };
}

describe('chunked candle scan', () => {
  it('finds a run crossing a chunk edge once, the same as in one piece', () => {
    const m = (i: number) => base + i * minute;
    const stored = [m(2), m(3), m(3) + 7, m(6), m(7), m(9)];
    const scan = new MissingCandleScan('1m', base, m(12));
    for (const [i, open] of stored.entries()) scan.push(open, i);
    assert.deepEqual(scan.end(), missingCandleRuns(stored, '1m', base, m(12)));
  });
});

describe('GapAudit reading the store in chunks', () => {
  const holes: SimHole[] = [{ symbol: 'ETHUSDT', fromMs: base + 10 * minute, toMs: base + 12 * minute }, { symbol: 'BTCUSDT', fromMs: base + hour, toMs: base + hour + 30 * minute }];
  let sim: ExchangeSimulator;
  let http: UndiciHttpClient;
  let embedded: EmbeddedStore;
  const clients = new Map<string, BinanceRestClient>();

  before(async () => {
    sim = await startExchangeSimulator({ holes, symbols: { BTCUSDT: {}, ETHUSDT: {} } });
    http = new UndiciHttpClient();
    embedded = new EmbeddedStore(':memory:');
  });
  after(async () => {
    await embedded?.close();
    await http?.close();
    await sim?.close();
  });

  async function audit(symbol: string, q: { type: string; fromMs: number; toMs: number }, chunkMs?: number): Promise<{ report: GapReport; widest: number }> {
    let client = clients.get(symbol);
    if (!client) {
      client = new BinanceRestClient({ baseUrl: sim.url, http, clock: systemClock, metrics: new PromMetrics({ defaults: false }), log: pino({ level: 'silent' }) });
      await client.init(symbol);
      clients.set(symbol, client);
    }
    const recorded = spanRecording(embedded);
    const gapAudit = new GapAudit({ store: recorded.store, client, quietMs: minute, ...(chunkMs === undefined ? {} : { chunkMs }) });
    return { report: await gapAudit.audit({ symbol, ...q }), widest: recorded.widest() };
  }

  it('candles: holes across chunk edges and collections are found once, the report the same as read whole', async () => {
    const fromMs = base;
    const toMs = base + 3 * hour;
    const gone = (o: number) => [[0, 2], [10, 15], [55, 65], [170, 180]].some(([a = 0, b = 0]) => o >= base + a * minute && o < base + b * minute);
    const rows = expectedKlines('BTCUSDT', '1m', fromMs, toMs, { holes }).filter((k) => !gone(k[0]));
    for (const [collection, part] of [
      ['btcusdt_api_candles_1m_2024_06_03', rows.filter((k) => k[0] < base + 100 * minute)],
      ['btcusdt_ws_candles_1m_2024_06_03', rows.filter((k) => k[0] >= base + 100 * minute)],
    ] as const) {
      await embedded.ensureCollection(collection, { sortField: 'open_time' });
      const candles = part.map((k) => candleFromKline([k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10], k[11]], 'BTCUSDT', '1m'));
      await embedded.upsert(collection, candles.map((c) => ({ _key: candleKey(c), ...c })));
    }
    const q = { type: 'api_candles_1m', fromMs, toMs };
    const whole = await audit('BTCUSDT', q);
    // Chunk edges every 7 minutes: at 14 (inside 10..15), 56 and 63 (inside 55..65, and the exchange's 60..90), 175 (inside 170..180).
    const chunked = await audit('BTCUSDT', q, 7 * minute);
    assert.equal(chunked.widest, 7 * minute);
    assert.ok(whole.widest > 7 * minute);
    assert.deepEqual(chunked.report, whole.report);
    assert.deepEqual(
      chunked.report.holes.map((h) => [h.owner, (h.fromMs - base) / minute, (h.toMs - base) / minute, h.count]),
      [
        ['ours', 0, 2, 2],
        ['ours', 10, 15, 5],
        ['ours', 55, 60, 5],
        ['exchange', 60, 90, 30],
        ['ours', 170, 180, 10],
      ],
    );
    assert.deepEqual(holesOf(chunked.report, 'ours').map((h) => h.collection), ['btcusdt_api_candles_1m_2024_06_03', 'btcusdt_api_candles_1m_2024_06_03', 'btcusdt_api_candles_1m_2024_06_03', 'btcusdt_ws_candles_1m_2024_06_03']);
  });

  it('aggregate trades: missing ids and a quiet stretch across chunk edges are found once, the report the same as read whole', async () => {
    const fromMs = base;
    const toMs = base + 30 * minute;
    const expected = expectedAggTrades('ETHUSDT', fromMs, toMs, { holes });
    // Trades from 4.5 to 5.5 minutes in: a hole of ours across the chunk edge at 5 minutes.
    const gone = (t: number) => t >= base + 4.5 * minute && t < base + 5.5 * minute;
    const first = expected.findIndex((r) => gone(r.T));
    const kept = expected.filter((r, i) => !gone(r.T) && i >= 3);
    const collection = 'ethusdt_api_trades_2024_06_03';
    await embedded.ensureCollection(collection, { sortField: 'timestamp' });
    const trades = kept.map((r) => aggTradeFromRow(r, 'ETHUSDT'));
    await embedded.upsert(collection, trades.map((t) => ({ _key: AGG_TRADE_SERIES.key(t), ...t })));
    const q = { type: 'api_trades', fromMs, toMs };
    const whole = await audit('ETHUSDT', q);
    const chunked = await audit('ETHUSDT', q, minute);
    assert.equal(chunked.widest, minute);
    assert.deepEqual(chunked.report, whole.report);
    const ids = expected.map((r) => r.a);
    const lost = expected.filter((r) => gone(r.T)).length;
    assert.deepEqual(
      holesOf(chunked.report, 'ours').map((h) => [h.fromId, h.toId, h.count, h.collection]),
      [
        [ids[0], ids[2], 3, collection],
        [ids[first], (ids[first] ?? 0) + lost - 1, lost, collection],
      ],
    );
    // The exchange's quiet 10..12 minutes, across the chunk edge at 11.
    assert.equal(holesOf(chunked.report, 'exchange').length, 1);
    assert.equal(chunked.report.stored, kept.length);
  });
});
