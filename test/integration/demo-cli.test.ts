// `streamforge demo` as a newcomer runs it: a child process that starts the exchange simulator,
// serve and a few workflows; read through its HTTP API while it runs, then ended with SIGINT.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { ModelMetadata, QueueListResponse, TERMINAL_STATUSES } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { startCli } from '../helpers/cli-process.ts';
import type { CliProcess } from '../helpers/cli-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { runCli } from '../helpers/run-cli.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** The processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const ppid = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1];
        return Number(ppid) === pid ? [Number(name)] : [];
      } catch (err) {
        // A process that ended while the list was read.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return [];
        throw err;
      }
    });
}

async function workflows(base: string): Promise<Workflow[]> {
  const res = await request(`${base}/queues`);
  assert.equal(res.statusCode, 200);
  return QueueListResponse.parse(await res.body.json()).queues;
}

describe('streamforge demo', { timeout: 600_000 }, () => {
  let demo: CliProcess | undefined;
  after(async () => {
    await demo?.kill();
  });

  it('serves the console against the simulator, runs candles, trades, a live stream and a training run, and stops cleanly on SIGINT', async (t) => {
    const port = await freePort();
    const startedAt = Date.now();
    const proc = (demo = startCli(['demo', '--port', String(port)], {}));
    const base = await waitFor('the console URL', () => {
      if (proc.child.exitCode !== null) throw new Error(`demo exited ${proc.child.exitCode}: ${proc.stderr()}`);
      return /^Web console: (http:\/\/127\.0\.0\.1:\d+)\/$/m.exec(proc.stdout())?.[1];
    }, 60_000);
    assert.equal(base, `http://127.0.0.1:${port}`);
    const out = proc.stdout();
    assert.match(out, /SIMULATED exchange data \(nothing from Binance\)/);
    const dataDir = /data in (\S+) \(removed at the end\)/.exec(out)?.[1] ?? '';
    assert.ok(existsSync(dataDir), `the demo's data dir ${dataDir}`);
    const page = await request(`${base}/`);
    assert.equal(page.statusCode, 200);
    assert.match(await page.body.text(), /<title>[^<]*StreamForge/);

    // The four workflows it said it started exist, and progress.
    const started = await waitFor('four workflows started', () => {
      const ids = [...proc.stdout().matchAll(/^started (\S+): /gm)].map((m) => m[1] ?? '');
      return ids.length === 4 ? ids : undefined;
    }, 60_000);
    const byType = async () => new Map((await workflows(base)).map((wf) => [wf.type, wf]));
    const firstProgress = await waitFor('a first record stored', async () => {
      const all = await workflows(base);
      return all.some((wf) => Object.values(wf.stages).some((s) => s.records > 0)) ? Date.now() - startedAt : undefined;
    }, 120_000, 200);
    t.diagnostic(`first record stored ${firstProgress} ms after the demo was started`);
    const types = await byType();
    for (const type of ['api_candles_1h', 'api_trades', 'ws_aggtrades', 'gnn_train']) {
      const wf = types.get(type);
      assert.ok(wf && started.includes(wf.queue_id), `a ${type} workflow among ${started.join(' ')}`);
    }

    const ended = await waitFor('the candles, trades and training workflows to end', async () => {
      const now = await byType();
      const closed = ['api_candles_1h', 'api_trades', 'gnn_train'].map((type) => now.get(type));
      return closed.every((wf) => wf !== undefined && TERMINAL_STATUSES.has(wf.status)) ? now : undefined;
    }, 420_000, 1_000);
    t.diagnostic(`candles, trades and training ended ${Date.now() - startedAt} ms after the demo was started`);
    const candles = ended.get('api_candles_1h');
    assert.equal(candles?.status, 'completed', JSON.stringify(candles?.error));
    // Two months of hours less the exchange's four-hour maintenance.
    assert.equal(candles?.stages['arango-connector']?.records, 60 * 24 - 4);
    const trades = ended.get('api_trades');
    assert.equal(trades?.status, 'completed', JSON.stringify(trades?.error));
    assert.ok((trades?.stages['arango-connector']?.records ?? 0) > 0);
    const train = ended.get('gnn_train');
    assert.equal(train?.status, 'completed', JSON.stringify(train?.error));
    const [modelId] = train?.models ?? [];
    assert.ok(modelId, 'the training run stored a model');
    const res = await request(`${base}/models/${modelId}`);
    assert.equal(res.statusCode, 200);
    const model = ModelMetadata.parse(await res.body.json());
    t.diagnostic(`model ${model.id}: ${JSON.stringify(model.metrics)}`);
    assert.equal(model.symbols.length, 8);
    assert.ok(model.history.length > 0, 'a training curve');
    assert.match(proc.stdout(), new RegExp(`^model ${modelId} stored after [\\d.]+ s: (not )?promoted, test accuracy`, 'm'));
    assert.match(proc.stdout(), new RegExp(`^completed ${candles?.queue_id} after`, 'm'));

    // The live stream keeps storing trades.
    const live = ended.get('ws_aggtrades');
    assert.equal(live?.status, 'running');
    const before = live?.stages['arango-connector']?.records ?? 0;
    await waitFor('the live stream to store more trades', async () => {
      const now = (await byType()).get('ws_aggtrades');
      return (now?.stages['arango-connector']?.records ?? 0) > before ? true : undefined;
    }, 30_000, 250);

    const children = childrenOf(proc.child.pid ?? 0);
    proc.child.kill('SIGINT');
    assert.equal(await proc.exited, 0, proc.stderr());
    assert.match(proc.stderr(), /demo stopping \(SIGINT\)/);
    for (const pid of children) assert.equal(existsSync(`/proc/${pid}`), false, `child process ${pid} left running`);
    assert.equal(existsSync(dataDir), false, 'the temporary data dir is removed');
    await assert.rejects(request(`${base}/health/live`), 'nothing listens after the exit');
  });

  it('refuses bad flags with exit 2, naming what is accepted', async () => {
    for (const [args, message] of [
      [['demo', '--port', '99999'], /invalid --port.*0 to 65535/],
      [['demo', 'now'], /demo takes no positional arguments/],
    ] as const) {
      const run = await runCli(args, {}, 30_000);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Usage: streamforge demo/);
    }
  });
});
