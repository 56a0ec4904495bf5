// `streamforge simulate` as a user runs it: a child process on a free port, read over real HTTP with
// the production schemas of Binance's formats, stopped with SIGTERM.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { ExchangeInfo, KlineRows } from '../../src/protocol/index.ts';
import { startCli } from '../helpers/cli-process.ts';
import type { CliProcess } from '../helpers/cli-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { runCli } from '../helpers/run-cli.ts';
import { waitFor } from '../helpers/wait-for.ts';

const HOUR = 3_600_000;

/** The value of a `NAME=value` line the simulator printed. */
function printed(out: string, name: string): string | undefined {
  return new RegExp(`^${name}=(\\S+)$`, 'm').exec(out)?.[1];
}

describe('streamforge simulate', { timeout: 120_000 }, () => {
  const started: CliProcess[] = [];
  after(async () => {
    for (const p of started) await p.kill();
  });

  async function simulate(args: readonly string[]): Promise<{ sim: CliProcess; api: string; ws: string; archive: string }> {
    const sim = startCli(['simulate', ...args], {});
    started.push(sim);
    const urls = await waitFor('the simulator to print its URLs', () => {
      if (sim.child.exitCode !== null) throw new Error(`simulate exited ${sim.child.exitCode}: ${sim.stderr()}`);
      const out = sim.stdout();
      const [api, ws, archive] = ['BINANCE_API_URL', 'BINANCE_WS_URL', 'BINANCE_ARCHIVE_URL'].map((name) => printed(out, name));
      return api !== undefined && ws !== undefined && archive !== undefined ? { api, ws, archive } : undefined;
    }, 30_000);
    return { sim, ...urls };
  }

  it('serves Binance\'s klines and exchangeInfo on the port asked for, says the data is simulated, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { sim, api, ws, archive } = await simulate(['--port', String(port), '--seed', '7']);
    assert.equal(api, `http://127.0.0.1:${port}`);
    assert.equal(ws, `ws://127.0.0.1:${port}`);
    assert.equal(archive, `http://127.0.0.1:${port}`);
    assert.match(sim.stdout(), /^SIMULATED exchange \(not Binance\): synthetic market data, seed 7$/m);

    const info = await request(`${api}/api/v3/exchangeInfo`);
    assert.equal(info.statusCode, 200);
    assert.match(String(info.headers['content-type']), /^application\/json/);
    assert.equal(info.headers['x-mbx-used-weight-1m'], '20', 'exchangeInfo weighs 20, as on Binance');
    const exchange = ExchangeInfo.parse(await info.body.json());
    assert.deepEqual(exchange.symbols.map((s) => s.symbol).sort(), ['BTCUSDT', 'ETHUSDT', 'PEPEUSDT']);
    assert.ok(exchange.rateLimits.some((r) => r.rateLimitType === 'REQUEST_WEIGHT' && r.limit === 6000 && r.interval === 'MINUTE'));

    const from = Date.UTC(2024, 7, 1);
    const klines = await request(`${api}/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=${from}&limit=3`);
    assert.equal(klines.statusCode, 200);
    const rows = KlineRows.parse(await klines.body.json());
    assert.deepEqual(rows.map((r) => r[0]), [from, from + HOUR, from + 2 * HOUR]);
    for (const row of rows) {
      assert.equal(row[6], row[0] + HOUR - 1, 'close time is the last millisecond of the hour');
      for (const decimal of [row[1], row[2], row[3], row[4], row[5]]) assert.match(decimal, /^\d+\.\d+$/, 'decimals as strings');
      assert.ok(Number(row[2]) >= Math.max(Number(row[1]), Number(row[4])) && Number(row[3]) <= Math.min(Number(row[1]), Number(row[4])), 'high and low bound open and close');
    }

    const unknown = await request(`${api}/api/v3/klines?symbol=NOSUCHUSDT&interval=1h`);
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(await unknown.body.json(), { code: -1121, msg: 'Invalid symbol.' });

    sim.child.kill('SIGTERM');
    assert.equal(await sim.exited, 0, sim.stderr());
    await assert.rejects(request(`${api}/api/v3/ping`), 'nothing listens after the exit');
  });

  it('serves the same data for the same seed and other data for another', async () => {
    const path = `/api/v3/klines?symbol=ETHUSDT&interval=1d&startTime=${Date.UTC(2024, 0, 1)}&limit=5`;
    const read = async (seed: string) => {
      const { sim, api } = await simulate(['--seed', seed]);
      const res = await request(`${api}${path}`);
      const body = await res.body.text();
      sim.child.kill('SIGINT');
      assert.equal(await sim.exited, 0, sim.stderr());
      return body;
    };
    const [a, b, c] = [await read('3'), await read('3'), await read('4')];
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('refuses bad flags with exit 2, naming what is accepted', async () => {
    const cases: Array<[readonly string[], RegExp]> = [
      [['simulate', '--port', '70000'], /invalid --port.*0 to 65535/],
      [['simulate', '--port', 'eighty'], /invalid --port "eighty"/],
      [['simulate', '--seed=-1'], /invalid --seed "-1"/],
      [['simulate', '--symbols', 'BTCUSDT'], /Unknown option '--symbols'/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, {}, 30_000);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Usage: streamforge simulate/);
    }
  });

  it('is listed in the CLI\'s help', async () => {
    const help = await runCli(['--help'], {}, 30_000);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}simulate \[--port N\] \[--host 127\.0\.0\.1\] \[--seed S\]$/m);
  });
});
