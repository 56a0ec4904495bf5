// GET /indicators, /graph and /models* through fastify's inject: answers from the stored candles as
// the pure analytics compute them, 400 with what is accepted for bad input, 404 for unknown models,
// the token like every data route.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { correlationGraph, indicatorTable } from '../../src/actors/analytics/index.ts';
import { GraphBody, IndicatorsBody, IndicatorSpecsText, ModelListBody } from '../../src/protocol/index.ts';
import type { Candle } from '../../src/protocol/index.ts';
import { startHttpTestServer } from '../helpers/http-test-server.ts';
import type { HttpTestServer } from '../helpers/http-test-server.ts';
import { randomCandles } from '../helpers/random-candles.ts';
import { storeCandles } from '../helpers/stored-candles.ts';

const TOKEN = 'routes-token';
const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
const iso = (ms: number) => new Date(ms).toISOString();

describe('analytics routes', () => {
  let t: HttpTestServer;
  let candles: Candle[][];
  const get = (url: string, token: string | null = TOKEN) =>
    t.server.app.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });

  before(async () => {
    t = await startHttpTestServer({ STREAMFORGE_API_TOKEN: TOKEN });
    candles = SYMBOLS.map((symbol, i) => randomCandles(600, 20 + i).map((c) => ({ ...c, symbol })));
    for (const list of candles) await storeCandles(t.store, list);
  });
  after(() => t.close());

  it('GET /indicators: the rows of [from, to) warmed up on the stored candles before from, as CSV and JSON', async () => {
    const from = FROM + 300 * HOUR;
    const to = FROM + 400 * HOUR;
    const ind = 'ema:20,rsi:14,vwap:24,logret';
    // The oracle: the whole stored history at once; the warm-up (263 candles for rsi:14) agrees with it.
    const table = indicatorTable(candles[1] ?? [], IndicatorSpecsText.parse(ind));
    const expected = table.rows.filter((r) => r.open_time >= from && r.open_time < to);

    const json = await get(`/indicators?symbol=BBBUSDT&interval=1h&from=${iso(from)}&to=${iso(to)}&ind=${ind}`);
    assert.equal(json.statusCode, 200, json.body);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    const body = IndicatorsBody.parse(json.json());
    assert.deepEqual(body.columns, ['open_time', 'ema_20', 'rsi_14', 'vwap_24', 'log_return']);
    assert.deepEqual(body.warmup, { needed: 263, candles: 263, from: iso(from - 263 * HOUR), from_ms: from - 263 * HOUR });
    assert.equal(body.count, 100);
    assert.equal(body.from_ms, from);
    for (const [k, row] of body.rows.entries()) {
      for (const col of body.columns) {
        const e = expected[k]?.[col] ?? Number.NaN;
        const a = row[col] ?? Number.NaN;
        assert.ok(Math.abs(a - e) <= 1e-7 * Math.max(1, Math.abs(e)), `${col} at row ${k}: ${a} vs ${e}`);
      }
    }

    const csv = await get(`/indicators?symbol=bbbusdt&interval=1h&from=${iso(from)}&to=${iso(to)}&ind=${ind}&format=csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.body.trimEnd().split('\n');
    assert.equal(lines[0], 'open_time,ema_20,rsi_14,vwap_24,log_return');
    assert.deepEqual(lines.slice(1).map((l) => l.split(',').map(Number)), body.rows.map((r) => body.columns.map((c) => r[c])));
  });

  it('GET /indicators: empty cells and nulls while warming up where the store begins at from', async () => {
    const res = await get(`/indicators?symbol=AAAUSDT&interval=1h&from=${iso(FROM)}&to=${iso(FROM + 30 * HOUR)}&ind=sma:3,rsi:14&format=csv`);
    assert.equal(res.statusCode, 200);
    const rows = res.body.trimEnd().split('\n').slice(1);
    assert.match(rows[0] ?? '', /^\d+,,$/);
    assert.match(rows[2] ?? '', /^\d+,[\d.]+,$/, 'sma:3 from the third candle');
    assert.match(rows[14] ?? '', /^\d+,[\d.]+,[\d.]+$/, 'rsi:14 from the fifteenth');
    const json = IndicatorsBody.parse((await get(`/indicators?symbol=AAAUSDT&interval=1h&from=${iso(FROM)}&to=${iso(FROM + 3 * HOUR)}&ind=sma:3`)).json());
    assert.deepEqual(json.rows.map((r) => r['sma_3']), [null, null, json.rows[2]?.['sma_3']]);
    assert.deepEqual(json.warmup, { needed: 2, candles: 0, from: iso(FROM), from_ms: FROM });
  });

  it('GET /indicators: 400 naming what is accepted, and the backfill for a symbol with nothing stored', async () => {
    const range = `from=${iso(FROM)}&to=${iso(FROM + 10 * HOUR)}`;
    const cases: Array<[string, RegExp]> = [
      [`/indicators?symbol=AAAUSDT&interval=1h&${range}&ind=ema:0`, /the period of ema must be from 1 to 10000/],
      [`/indicators?symbol=AAAUSDT&interval=1h&${range}&ind=macd:12`, /unknown indicator "macd:12".*accepted: a comma-separated list of ema:N/],
      [`/indicators?symbol=AAAUSDT&interval=7m&${range}&ind=ema:3`, /unknown interval "7m"; accepted: 1s 1m/],
      [`/indicators?symbol=AAAUSDT&interval=1h&${range}&ind=ema:3&format=xml`, /accepted: json csv/],
      [`/indicators?symbol=AAAUSDT&interval=1h&from=${iso(FROM + HOUR)}&to=${iso(FROM)}&ind=ema:3`, /from must be before to/],
      [`/indicators?symbol=AAAUSDT&interval=1s&from=2000-01-01&to=2024-01-01&ind=ema:3`, /accepted: at most 1,000,000 rows per request/],
      [`/indicators?symbol=ZZZUSDT&interval=1h&${range}&ind=ema:3`, /no stored 1h candles of ZZZUSDT .* streamforge backfill ZZZUSDT --type api_candles_1h/],
    ];
    for (const [url, message] of cases) {
      const res = await get(url);
      assert.equal(res.statusCode, 400, url);
      assert.match(res.json<{ message: string }>().message, message, url);
    }
  });

  it('GET /graph: the graph of the window ending before at, as the pure analytics compute it', async () => {
    const at = FROM + 500 * HOUR;
    const res = await get(`/graph?symbols=AAAUSDT,bbbusdt,CCCUSDT&interval=1h&from=${iso(FROM)}&to=${iso(FROM + 600 * HOUR)}&at=${iso(at)}&window=50&top_k=1`);
    assert.equal(res.statusCode, 200, res.body);
    const body = GraphBody.parse(res.json());
    const expected = correlationGraph({
      symbols: SYMBOLS,
      interval: '1h',
      fromMs: FROM,
      toMs: FROM + 600 * HOUR,
      atMs: at - 1,
      window: 50,
      rule: { kind: 'top-k', k: 1 },
      candles: candles.map((l) => l.filter((c) => c.open_time < at)),
    });
    assert.deepEqual(body, expected);
    assert.equal(body.at, iso(at - HOUR));
    const defaults = GraphBody.parse((await get(`/graph?symbols=AAAUSDT,BBBUSDT&interval=1h&from=${iso(FROM)}&to=${iso(FROM + 600 * HOUR)}`)).json());
    assert.equal(defaults.window, 168);
    assert.deepEqual(defaults.rule, { kind: 'threshold', threshold: 0.3 });
    assert.equal(defaults.at_ms, FROM + 599 * HOUR);
  });

  it('GET /graph: 400 with what is accepted', async () => {
    const range = `interval=1h&from=${iso(FROM)}&to=${iso(FROM + 600 * HOUR)}`;
    const cases: Array<[string, RegExp]> = [
      [`/graph?symbols=AAAUSDT&${range}`, /a graph needs at least 2 symbols, got 1; accepted: 2 to 200 distinct symbols/],
      [`/graph?symbols=AAAUSDT,AAAUSDT&${range}`, /AAAUSDT given twice/],
      [`/graph?symbols=AAAUSDT,BBBUSDT&${range}&threshold=0.3&top_k=2`, /threshold and top_k exclude each other/],
      [`/graph?symbols=AAAUSDT,BBBUSDT&${range}&threshold=1.5`, /accepted: \|ρ\| from 0 to 1/],
      [`/graph?symbols=AAAUSDT,BBBUSDT&${range}&window=2`, /window too small; accepted: 3 to 10000/],
      [`/graph?symbols=AAAUSDT,BBBUSDT&${range}&window=1000`, /a window of 1000 log returns needs 1001; accepted: a window from 3 to 599 here/],
      [`/graph?symbols=AAAUSDT,BBBUSDT&interval=2m&from=${iso(FROM)}&to=${iso(FROM + 600 * HOUR)}`, /unknown interval "2m"/],
      [`/graph?symbols=AAAUSDT,QQQUSDT&${range}`, /no stored 1h candles of QQQUSDT .*streamforge backfill QQQUSDT/],
    ];
    for (const [url, message] of cases) {
      const res = await get(url);
      assert.equal(res.statusCode, 400, url);
      assert.match(res.json<{ message: string }>().message, message, url);
    }
  });

  it('GET /models*: an empty registry, 404 for an unknown id or no promoted model, 400 for a malformed id or at', async () => {
    assert.deepEqual(ModelListBody.parse((await get('/models')).json()), { models: [] });
    const unknown = await get('/models/m-nope');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json<{ message: string }>().message, /no model m-nope; see `streamforge models`/);
    assert.equal((await get('/models/latest')).statusCode, 404);
    assert.equal((await get('/models/m-nope/predict?at=2024-06-30T12:00:00Z')).statusCode, 404);
    assert.match((await get('/models/latest/predict?at=2024-06-30T12:00:00Z')).json<{ message: string }>().message, /no promoted model yet/);
    assert.equal((await get('/models/a%20b')).statusCode, 400);
    const noAt = await get('/models/m-nope/predict');
    assert.equal(noAt.statusCode, 400);
    assert.equal((await get('/models/m-nope/predict?at=2024-13-01')).statusCode, 400);
  });

  it('needs the token on every analytics route', async () => {
    for (const url of ['/indicators', '/graph', '/models', '/models/x', '/models/x/predict']) {
      const res = await get(url, null);
      assert.equal(res.statusCode, 401, url);
    }
  });
});
