import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { expectedAggTrades, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator, Hole } from '../../src/system/exchange-simulator/index.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startServe } from '../helpers/serve-process.ts';
import { makeDataDir } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { assertExactAggTrades, assertExactCandles } from './exact-data.ts';

const minute = 60_000;
const from = Date.parse('2024-08-01T00:00:00Z');
const at = (m: number) => from + m * minute;
const iso = (ms: number) => new Date(ms).toISOString();
const candlesTo = at(360);
const tradesTo = at(90);
// Maintenance: the exchange has no candle and no trade in these windows.
const holes: Hole[] = [
  { symbol: 'BTCUSDT', fromMs: at(60), toMs: at(75) },
  { symbol: 'BTCUSDT', fromMs: at(200), toMs: at(230) },
];
const CANDLES = 'btcusdt_api_candles_1m_2024_08_01';
const TRADES = 'btcusdt_api_trades_2024_08_01';

interface HoleJson {
  owner: 'ours' | 'exchange';
  from_ms: number;
  to_ms: number;
  count: number;
  from_id?: number;
  to_id?: number;
  collection?: string;
}
interface ReportJson {
  stored: number;
  ours: number;
  exchange: number;
  holes: HoleJson[];
  repaired?: { holes: number; records: number; collections: string[] };
}

/** Deletes stored records with a sort value in [fromMs, toMs) straight from the embedded store's SQLite file. */
function deleteStored(dataDir: string, collection: string, fromMs: number, toMs: number): number {
  const db = new DatabaseSync(join(dataDir, 'store.sqlite'));
  try {
    db.exec('PRAGMA busy_timeout = 10000');
    const row = db.prepare('SELECT table_name FROM collections WHERE name = ?').get(collection) as { table_name: string } | undefined;
    assert.ok(row, `collection ${collection} exists`);
    return Number(db.prepare(`DELETE FROM "${row.table_name}" WHERE sort >= ? AND sort < ?`).run(fromMs, toMs).changes);
  } finally {
    db.close();
  }
}

describe('streamforge gaps: audit and repair of stored series against the exchange', () => {
  let sim: ExchangeSimulator;
  let dataDir: string;
  let env: Record<string, string>;
  const gaps = (type: string, to: number, ...extra: string[]) =>
    runCli(['gaps', 'BTCUSDT', '--type', type, '--from', iso(from), '--to', iso(to), ...extra], env, 120_000);

  before(async () => {
    sim = await startExchangeSimulator({ holes, latencyMs: 5 });
    dataDir = await makeDataDir();
    env = { BINANCE_API_URL: sim.url, STREAMFORGE_DATA_DIR: dataDir };
    for (const [type, to] of [['api_candles_1m', candlesTo], ['api_trades', tradesTo]] as const) {
      const run = await runCli(['backfill', 'BTCUSDT', '--type', type, '--from', iso(from), '--to', iso(to), '--no-progress'], env, 120_000);
      assert.equal(run.code, 0, run.stderr);
    }
  });
  after(async () => {
    await sim?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a complete backfill has no hole of ours; the maintenance windows are the exchange’s', async () => {
    const run = await gaps('api_candles_1m', candlesTo, '--json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as ReportJson;
    assert.deepEqual(report.holes.map((h) => [h.owner, h.from_ms, h.to_ms, h.count]), [
      ['exchange', at(60), at(75), 15],
      ['exchange', at(200), at(230), 30],
    ]);
  });

  it('candles: lists ours and the exchange’s apart, repairs ours to the exact exchange data', async () => {
    assert.equal(deleteStored(dataDir, CANDLES, at(10), at(15)), 5);
    assert.equal(deleteStored(dataDir, CANDLES, at(55), at(60)), 5); // right before a maintenance window
    assert.equal(deleteStored(dataDir, CANDLES, at(0), at(1)), 1);
    assert.equal(deleteStored(dataDir, CANDLES, at(357), at(360)), 3);

    const table = await gaps('api_candles_1m', candlesTo);
    assert.equal(table.code, 1, `holes of ours remain: exit 1\n${table.stderr}`);
    assert.match(table.stdout, /4 holes of ours \(14 missing\), 2 of the exchange's/);
    assert.match(table.stdout, /2024-08-01T00:55:00\.000Z\s+2024-08-01T01:00:00\.000Z\s+5\s+-\s+ours/);
    assert.match(table.stdout, /2024-08-01T01:00:00\.000Z\s+2024-08-01T01:15:00\.000Z\s+15\s+-\s+exchange/);

    const listed = await gaps('api_candles_1m', candlesTo, '--json');
    assert.equal(listed.code, 1);
    const before = JSON.parse(listed.stdout) as ReportJson;
    assert.deepEqual(before.holes.map((h) => [h.owner, h.from_ms, h.to_ms, h.count]), [
      ['ours', at(0), at(1), 1],
      ['ours', at(10), at(15), 5],
      ['ours', at(55), at(60), 5],
      ['exchange', at(60), at(75), 15],
      ['exchange', at(200), at(230), 30],
      ['ours', at(357), at(360), 3],
    ]);
    assert.equal(before.stored, 360 - 45 - 14);

    const repaired = await gaps('api_candles_1m', candlesTo, '--repair', '--json');
    assert.equal(repaired.code, 0, repaired.stderr);
    const after = JSON.parse(repaired.stdout) as ReportJson;
    assert.deepEqual(after.repaired, { holes: 4, records: 14, collections: [CANDLES] });
    assert.deepEqual(after.holes.map((h) => [h.owner, h.from_ms, h.to_ms]), [
      ['exchange', at(60), at(75)],
      ['exchange', at(200), at(230)],
    ]);
    const store = new EmbeddedStore(dataDir);
    try {
      await assertExactCandles(store, CANDLES, 'BTCUSDT', '1m', from, candlesTo, { holes });
    } finally {
      await store.close();
    }
  });

  it('trades: missing ids are ours, the maintenance stretch the exchange’s; the repair restores every id', async () => {
    const expected = expectedAggTrades('BTCUSDT', from, tradesTo, { holes });
    const firstId = expected[0]?.a ?? assert.fail('trades expected');
    assert.ok(deleteStored(dataDir, TRADES, at(5), at(5) + 30_000) > 80);
    assert.ok(deleteStored(dataDir, TRADES, from, from + 2_000) > 3, 'the very first trades');
    assert.ok(deleteStored(dataDir, TRADES, at(89), tradesTo) > 150, 'the last minute');

    const listed = await gaps('api_trades', tradesTo, '--json');
    assert.equal(listed.code, 1, listed.stderr);
    const report = JSON.parse(listed.stdout) as ReportJson;
    const ours = report.holes.filter((h) => h.owner === 'ours');
    assert.equal(ours.length, 3);
    assert.equal(ours[0]?.from_id, firstId, 'the hole at the range start is found by asking the exchange');
    assert.equal(ours[2]?.to_id, expected.at(-1)?.a, 'so is the one at the range end');
    assert.equal(ours.reduce((n, h) => n + h.count, 0), expected.length - report.stored);
    const exchange = report.holes.filter((h) => h.owner === 'exchange');
    assert.equal(exchange.length, 1);
    assert.ok(exchange[0] && exchange[0].from_ms <= at(60) && exchange[0].from_ms > at(59) && exchange[0].to_ms >= at(75) && exchange[0].to_ms < at(76));

    const repaired = await gaps('api_trades', tradesTo, '--repair');
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, new RegExp(`repaired ${expected.length - report.stored} records in 3 holes into ${TRADES}`));
    assert.match(repaired.stdout, /0 holes of ours \(0 missing\), 1 of the exchange's/);
    const store = new EmbeddedStore(dataDir);
    try {
      await assertExactAggTrades(store, 'BTCUSDT', from, tradesTo, { holes });
      assert.equal(await store.count(TRADES, { from, to: tradesTo }), expected.length);
    } finally {
      await store.close();
    }
  });

  it('the same over the API: `gaps --server` asks a running serve (GET /gaps, POST /gaps/repair); bad input answers 400', async () => {
    const token = 'gaps-token';
    const serveEnv = { ...env, STREAMFORGE_API_TOKEN: token };
    const { process: serve, base } = await startServe(serveEnv);
    const call = async (method: 'GET' | 'POST', path: string, body?: unknown, auth = true) => {
      const res = await request(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.statusCode, body: (await res.body.json()) as { code?: string; message?: string } };
    };
    try {
      assert.equal(deleteStored(dataDir, CANDLES, at(100), at(104)), 4);
      // ws_candles_1m: the same series as the api_candles_1m records stored by the backfill.
      const args = ['gaps', 'BTCUSDT', '--type', 'ws_candles_1m', '--from', iso(from), '--to', iso(candlesTo), '--server', base];
      const listed = await runCli([...args, '--json'], serveEnv, 120_000);
      assert.equal(listed.code, 1, `a hole of ours: exit 1\n${listed.stderr}`);
      const report = JSON.parse(listed.stdout) as ReportJson;
      assert.deepEqual(report.holes.map((h) => [h.owner, h.from_ms, h.to_ms, h.count]), [
        ['exchange', at(60), at(75), 15],
        ['ours', at(100), at(104), 4],
        ['exchange', at(200), at(230), 30],
      ]);
      const repaired = await runCli([...args, '--repair'], serveEnv, 120_000);
      assert.equal(repaired.code, 0, repaired.stderr);
      assert.match(repaired.stdout, new RegExp(`repaired 4 records in 1 hole into ${CANDLES}`));
      assert.match(repaired.stdout, /0 holes of ours \(0 missing\), 2 of the exchange's/);
      const store = new EmbeddedStore(dataDir);
      try {
        await assertExactCandles(store, CANDLES, 'BTCUSDT', '1m', from, candlesTo, { holes });
      } finally {
        await store.close();
      }

      const range = `from=${iso(from)}&to=${iso(candlesTo)}`;
      const depth = await call('GET', `/gaps?symbol=BTCUSDT&type=ws_depth&${range}`);
      assert.equal(depth.status, 400);
      assert.match(depth.body.message ?? '', /ws_depth cannot be audited.*accepted: <api\|ws\|archive>_candles_<interval>/);
      const backwards = await call('GET', `/gaps?symbol=BTCUSDT&type=api_trades&from=${iso(candlesTo)}&to=${iso(from)}`);
      assert.equal(backwards.status, 400);
      assert.match(backwards.body.message ?? '', /from must be before to/);
      const unknown = await call('GET', `/gaps?symbol=NOPEUSDT&type=api_trades&${range}`);
      assert.equal(unknown.status, 400, JSON.stringify(unknown.body));
      assert.match(unknown.body.message ?? '', /Invalid symbol/);
      for (const bad of ['-1', '0.5', '0x10', 'Infinity', '20000']) {
        const quiet = await call('GET', `/gaps?symbol=BTCUSDT&type=api_trades&${range}&quiet_minutes=${bad}`);
        assert.equal(quiet.status, 400, `quiet_minutes=${bad}`);
        assert.match(quiet.body.message ?? '', /quiet_minutes: .*accepted: a number of minutes from 1 to 10080/);
      }
      const repairQuiet = await call('POST', '/gaps/repair', { symbol: 'BTCUSDT', type: 'api_trades', from: iso(from), to: iso(candlesTo), quiet_minutes: true });
      assert.equal(repairQuiet.status, 400, 'a JSON body takes a number, not whatever coerces to one');
      const wide = await call('GET', '/gaps?symbol=BTCUSDT&type=api_candles_1s&from=2020-01-01&to=2021-01-01');
      assert.equal(wide.status, 400);
      assert.match(wide.body.message ?? '', /about 31,622,400 1s candles; accepted: at most 5,000,000 per audit/);
      const extra = await call('POST', '/gaps/repair', { symbol: 'BTCUSDT', type: 'api_trades', from: iso(from), to: iso(candlesTo), dry_run: true });
      assert.equal(extra.status, 400);
      assert.match(extra.body.message ?? '', /dry_run/);
      assert.equal((await call('GET', `/gaps?symbol=BTCUSDT&type=api_trades&${range}`, undefined, false)).status, 401);

      // Through the CLI: the server's error code comes through, and a local-only flag is refused.
      const unknownCli = await runCli(['gaps', 'NOPEUSDT', '--type', 'api_trades', '--from', iso(from), '--to', iso(candlesTo), '--server', base], serveEnv, 60_000);
      assert.equal(unknownCli.code, 1);
      assert.match(unknownCli.stderr, /Invalid symbol.*\[SF_ERR_EXCHANGE_BAD_REQUEST\]/);
      const both = await runCli([...args, '--data-dir', dataDir], serveEnv);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /--data-dir and --server exclude each other/);

      // A caller that goes away ends its audit: the exchange hears no more of it. Three years of 1m
      // candles with nothing stored are ~1,600 pages of klines, 20 s at the simulator's pace.
      const before = sim.stats().requestsByPath['/api/v3/klines'] ?? 0;
      const abandoned = new AbortController();
      const pending = request(`${base}/gaps?symbol=ETHUSDT&type=api_candles_1m&from=2019-01-01&to=2022-01-01`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abandoned.signal,
      }).catch(() => undefined);
      await waitFor('the audit to page klines', () => ((sim.stats().requestsByPath['/api/v3/klines'] ?? 0) > before + 3 ? true : undefined), 20_000);
      abandoned.abort();
      await pending;
      await delay(1_000);
      const afterAbort = sim.stats().requestsByPath['/api/v3/klines'] ?? 0;
      await delay(1_500);
      assert.ok((sim.stats().requestsByPath['/api/v3/klines'] ?? 0) - afterAbort <= 1, 'no klines requested once the caller left');
      assert.ok(afterAbort - before < 400, `the audit stopped early (${afterAbort - before} pages)`);
    } finally {
      await serve.kill();
    }
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['an order book type', ['gaps', 'BTCUSDT', '--type', 'ws_depth', '--from', '2024-08-01', '--to', '2024-08-02'], /--type ws_depth cannot be audited.*accepted: <api\|ws\|archive>_candles_<interval>, api_trades/],
    ['an unknown type', ['gaps', 'BTCUSDT', '--type', 'candles', '--from', '2024-08-01', '--to', '2024-08-02'], /unknown type "candles"/],
    ['a bad quiet threshold', ['gaps', 'BTCUSDT', '--type', 'api_trades', '--from', '2024-08-01', '--to', '2024-08-02', '--quiet-minutes', 'x'], /invalid --quiet-minutes "x"/],
    ['a missing range', ['gaps', 'BTCUSDT', '--type', 'api_trades'], /missing --from/],
  ];
  for (const [name, args, message] of usage) {
    it(`exits 2 on a usage error: ${name}`, async () => {
      const run = await runCli(args, env);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Usage: streamforge gaps/);
    });
  }
});
