import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startExchangeSimulator, expectedKlines } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { networkInterfaces } from 'node:os';
import { request } from 'undici';
import { startCli } from '../helpers/cli-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { startServe } from '../helpers/serve-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeDataDir } from '../helpers/test-runtime.ts';

const HEADER =
  'open_time,open,high,low,close,volume,close_time,quote_asset_volume,number_of_trades,taker_buy_base_asset_volume,taker_buy_quote_asset_volume';

describe('the streamforge CLI', () => {
  let sim: ExchangeSimulator;
  let dataDir: string;
  let env: Record<string, string>;
  before(async () => {
    sim = await startExchangeSimulator();
    dataDir = await makeDataDir();
    env = { BINANCE_API_URL: sim.url, STREAMFORGE_DATA_DIR: dataDir };
  });
  after(async () => {
    await sim?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('backfills, then prints exactly the exchange data as CSV and JSON', async () => {
    const run = await runCli(['backfill', 'BTCUSDT', '--type', 'api_candles_1h', '--from', '2024-08-01', '--to', '2024-08-03'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^completed wf-btcusdt-api_candles_1h-20240801-[0-9a-f]{6}: 48 candles/);
    assert.match(run.stderr, /progress|started/, 'plain progress lines when not on a TTY');

    const csv = await runCli(['candles', 'BTCUSDT', '--interval', '1h', '--from', '2024-08-01', '--to', '2024-08-03', '--format', 'csv'], env);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trimEnd().split('\n');
    assert.equal(lines[0], HEADER);
    const expected = expectedKlines('BTCUSDT', '1h', Date.parse('2024-08-01T00:00:00Z'), Date.parse('2024-08-03T00:00:00Z'));
    assert.deepEqual(lines.slice(1), expected.map((k) => k.slice(0, 11).join(',')));

    const json = await runCli(['candles', 'btcusdt', '--interval', '1h', '--from', '2024-08-02T00:00:00Z', '--to', '2024-08-02T03:00:00Z', '--format', 'json'], env);
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout) as { count: number; candles: Array<{ open_time: number; volume: string }> };
    assert.equal(body.count, 3);
    assert.equal(body.candles[0]?.open_time, Date.parse('2024-08-02T00:00:00Z'));
    assert.equal(typeof body.candles[0]?.volume, 'string');
  });

  const usageCases: Array<[string, string[], RegExp]> = [
    ['unknown interval', ['backfill', 'BTCUSDT', '--type', 'api_candles_7m', '--from', '2024-08-01', '--to', '2024-08-02'], /unknown type "api_candles_7m".*accepted: api_candles_<interval>.*1s 1m 3m/],
    ['unknown type', ['backfill', 'BTCUSDT', '--type', 'candles', '--from', '2024-08-01', '--to', '2024-08-02'], /unknown type "candles"/],
    ['from after to', ['backfill', 'BTCUSDT', '--type', 'api_candles_1m', '--from', '2024-08-02', '--to', '2024-08-01'], /--from must be before --to/],
    ['from equal to', ['backfill', 'BTCUSDT', '--type', 'api_candles_1m', '--from', '2024-08-02', '--to', '2024-08-02'], /--from must be before --to/],
    ['malformed date', ['backfill', 'BTCUSDT', '--type', 'api_candles_1m', '--from', '2024-13-45', '--to', '2024-08-02'], /invalid --from "2024-13-45"; accepted: YYYY-MM-DD/],
    ['missing symbol', ['backfill', '--type', 'api_candles_1m', '--from', '2024-08-01', '--to', '2024-08-02'], /missing <SYMBOL>/],
    ['bad symbol', ['backfill', 'BTC/USDT', '--type', 'api_candles_1m', '--from', '2024-08-01', '--to', '2024-08-02'], /invalid symbol "BTC\/USDT"/],
    ['unknown option', ['backfill', 'BTCUSDT', '--typo', 'x'], /Unknown option '--typo'/],
    ['bad format', ['candles', 'BTCUSDT', '--interval', '1m', '--from', '2024-08-01', '--to', '2024-08-02', '--format', 'xml'], /invalid --format "xml"; accepted: csv json/],
    ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['depth over the past', ['backfill', 'BTCUSDT', '--type', 'ws_depth', '--from', '2024-08-01', '--to', '2024-08-02'], /ws_depth records the live order book and has no history: the range must end after now/],
    ['records of an unknown type', ['records', 'BTCUSDT', '--type', 'ws_books', '--from', '2024-08-01', '--to', '2024-08-02'], /unknown type "ws_books"; accepted: .*ws_depth/],
    ['gaps of depth', ['gaps', 'BTCUSDT', '--type', 'ws_depth', '--from', '2024-08-01', '--to', '2024-08-02'], /ws_depth/],
  ];
  for (const [name, args, message] of usageCases) {
    it(`exits 2 with a clear message on a usage error: ${name}`, async () => {
      const run = await runCli(args, env);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('exits 1 with the exchange message on an unknown symbol', async () => {
    const run = await runCli(['backfill', 'NOPEUSDT', '--type', 'api_candles_1m', '--from', '2024-08-01', '--to', '2024-08-02'], env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /failed wf-nopeusdt-.*Invalid symbol\. \(code -1121\)/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it('exits 1 with the reason when serve cannot listen on its port', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
    try {
      const { port } = taken.address() as { port: number };
      const run = await runCli(['serve', '--port', String(port)], env, 30_000);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /EADDRINUSE/);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('refuses to serve the API beyond loopback without a token, naming both ways out; binds loopback by default', async () => {
    const port = await freePort();
    for (const args of [['serve', '--host', '0.0.0.0', '--port', String(port)], ['serve', '--role', 'manager', '--port', String(port)]]) {
      const run = await runCli(args, { ...env, ...(args.includes('--host') ? {} : { HOST: '0.0.0.0' }) }, 30_000);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /refusing to serve the data and control API on 0\.0\.0\.0 without a token/);
      assert.match(run.stderr, /STREAMFORGE_API_TOKEN/);
      assert.match(run.stderr, /STREAMFORGE_INSECURE_NO_AUTH=true/);
    }
    const serve = await startServe({ STREAMFORGE_DATA_DIR: dataDir, BINANCE_API_URL: sim.url });
    try {
      assert.match(serve.process.stderr(), /listening on http:\/\/127\.0\.0\.1:\d+/);
      const port = Number(new URL(serve.base).port);
      const outside = Object.values(networkInterfaces()).flat().find((i) => i?.family === 'IPv4' && !i.internal)?.address;
      if (outside !== undefined) {
        await assert.rejects(request(`http://${outside}:${port}/health/live`), /ECONNREFUSED/, `not reachable on ${outside}`);
      }
    } finally {
      await serve.process.kill();
    }
  });

  it('serves a stage role probes and metrics only, never the data and control API', async () => {
    const port = await freePort();
    const dummy = startCli(['serve', '--role', 'dummy', '--queue-id', 'wf-dummy-cafe01', '--port', String(port)], { ...env, STREAMFORGE_DATA_DIR: dataDir });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor('the dummy to serve', async () => {
        const res = await request(`${base}/health/live`).catch(() => undefined);
        await res?.body.text();
        return res?.statusCode === 200 ? true : undefined;
      }, 30_000);
      for (const path of ['/queues', '/queues/list', '/records?symbol=BTCUSDT&type=api_trades&from=2024-08-01&to=2024-08-02', '/openapi.json']) {
        const res = await request(`${base}${path}`);
        await res.body.text();
        assert.equal(res.statusCode, 404, path);
      }
      const metrics = await request(`${base}/metrics`);
      assert.match(await metrics.body.text(), /streamforge_/);
    } finally {
      await dummy.kill();
    }
  });

  it('exits 1 after bounded retries when the exchange is unreachable', async () => {
    const port = await freePort();
    const run = await runCli(['backfill', 'BTCUSDT', '--type', 'api_candles_1m', '--from', '2024-08-01', '--to', '2024-08-02'], {
      ...env,
      BINANCE_API_URL: `http://127.0.0.1:${port}`,
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /failed .*cannot reach 127\.0\.0\.1:\d+.*ECONNREFUSED/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });
});
