// Memory of a `serve` process answering one `GET /records?format=csv` of 1,000,000 records, on this
// tree and on a baseline git ref (default `main`) exported beside it, against one seeded store.
//
//   node test/bench/records-stream-rss.bench.ts [--baseline main] [--records 1000000] [--no-baseline]
//
// The serving process's resident set is sampled from /proc every 20 ms while the answer streams
// (Linux only); printed: RSS when idle, the peak during the request, and the body's size and rows.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { printSection } from './bench-report.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FROM = Date.parse('2020-01-01T00:00:00Z');
const MINUTE = 60_000;

export interface RssFigures {
  readonly idleMiB: number;
  readonly peakMiB: number;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** 1m candles of BTCUSDT from 2020-01-01, split over two collections of the series (REST and live) as workflows write them. */
async function seed(dataDir: string, records: number): Promise<void> {
  const store = new EmbeddedStore(dataDir);
  try {
    const split = Math.floor(records * 0.6);
    const parts: Array<[string, number, number]> = [
      ['btcusdt_api_candles_1m_2020_01_01', 0, split],
      ['btcusdt_ws_candles_1m_2021_02_01', split, records],
    ];
    for (const [collection, from, to] of parts) {
      await store.ensureCollection(collection, { sortField: 'open_time' });
      for (let start = from; start < to; start += 10_000) {
        const batch = [];
        for (let i = start; i < Math.min(to, start + 10_000); i++) {
          const t = FROM + i * MINUTE;
          batch.push({
            _key: `BTCUSDT_1m_${t}`,
            open_time: t,
            open: '64000.01000000',
            high: '64100.02000000',
            low: '63900.03000000',
            close: '64050.04000000',
            volume: '12.34567000',
            close_time: t + MINUTE - 1,
            quote_asset_volume: '790000.12345678',
            number_of_trades: i % 1000,
            taker_buy_base_asset_volume: '6.17283500',
            taker_buy_quote_asset_volume: '395000.06172839',
            symbol: 'BTCUSDT',
            interval: '1m',
          });
        }
        await store.upsert(collection, batch);
      }
    }
  } finally {
    await store.close();
  }
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Starts `serve --role all` from `tree` on the seeded store, streams the CSV once, samples its RSS. */
async function measure(tree: string, dataDir: string, records: number): Promise<RssFigures> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(tree, 'bin/streamforge.js'), 'serve', '--role', 'all', '--port', String(port)], {
    cwd: tree,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', STREAMFORGE_DATA_DIR: dataDir, BINANCE_API_URL: 'http://127.0.0.1:9' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('serve to be ready', async () => {
      try {
        const res = await request(`${base}/health/ready`);
        await res.body.text();
        return res.statusCode === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    }, 60_000).catch((err: unknown) => {
      throw new Error(`serve in ${tree} did not start: ${stderr}`, { cause: err });
    });
    const pid = child.pid ?? 0;
    const idle = await rssKiB(pid);
    let peak = idle;
    const sampler = setInterval(() => {
      rssKiB(pid).then((kib) => (peak = Math.max(peak, kib)), () => undefined);
    }, 20);
    const started = performance.now();
    const to = new Date(FROM + records * MINUTE).toISOString();
    const res = await request(`${base}/records?symbol=BTCUSDT&type=api_candles_1m&from=2020-01-01&to=${to}&format=csv&limit=${records}`, {
      headersTimeout: 600_000,
      bodyTimeout: 600_000,
    });
    let bytes = 0;
    let newlines = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) newlines++;
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, await rssKiB(pid));
    if (res.statusCode !== 200) throw new Error(`GET /records answered ${res.statusCode}`);
    return { idleMiB: idle / 1024, peakMiB: peak / 1024, rows: newlines - 1, bytes, seconds };
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

/** The baseline ref's files in a temp dir, with this tree's node_modules (a superset of what it needs). */
async function exportRef(ref: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-bench-ref-'));
  execFileSync('bash', ['-c', `git -C "${ROOT}" archive "${ref}" | tar -x -C "${dir}"`]);
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

export async function benchRecordsStreamRss(options: { records?: number; baseline?: string | false } = {}): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const records = options.records ?? 1_000_000;
  const baseline = options.baseline ?? 'main';
  const dataDir = await mkdtemp(join(tmpdir(), 'sf-bench-rss-'));
  const lines: BenchLine[] = [];
  const ratios: BenchRatio[] = [];
  try {
    await seed(dataDir, records);
    const push = (label: string, f: RssFigures) =>
      lines.push(
        { name: `${label}: peak RSS during the request`, value: Math.round(f.peakMiB), unit: 'MiB' },
        { name: `${label}: RSS idle before it`, value: Math.round(f.idleMiB), unit: 'MiB' },
        { name: `${label}: rows streamed`, value: f.rows, unit: 'rows' },
        { name: `${label}: answer time`, value: Number(f.seconds.toFixed(2)), unit: 's' },
      );
    const after = await measure(ROOT, dataDir, records);
    push('this tree', after);
    if (baseline !== false) {
      const tree = await exportRef(baseline);
      try {
        const before = await measure(tree, dataDir, records);
        push(`baseline ${baseline}`, before);
        const ratio = after.peakMiB / before.peakMiB;
        ratios.push({ name: 'peak RSS, this tree / baseline', value: ratio, target: '< 1 (flat memory)', met: ratio < 1 });
      } finally {
        await rm(tree, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return { lines, ratios };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { records: { type: 'string' }, baseline: { type: 'string' }, 'no-baseline': { type: 'boolean' } } });
  const { lines, ratios } = await benchRecordsStreamRss({
    ...(values.records ? { records: Number(values.records) } : {}),
    baseline: values['no-baseline'] ? false : (values.baseline ?? 'main'),
  });
  printSection('GET /records?format=csv of 1,000,000 records: serving process RSS', lines, ratios);
}
