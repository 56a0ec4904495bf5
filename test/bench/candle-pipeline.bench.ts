import { request, Agent } from 'undici';
import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { candleFromKline, candleKey } from '../../src/protocol/index.ts';
import type { KlineRow } from '../../src/protocol/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { makeDataDir, startTestRuntime } from '../helpers/test-runtime.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const FROM = Date.parse('2023-01-01T00:00:00Z');
const CANDLES = 500_000; // 1m candles: 500 pages of 1000
const TO = FROM + CANDLES * 60_000;
const UNLIMITED = [{ rateLimitType: 'REQUEST_WEIGHT' as const, interval: 'MINUTE' as const, intervalNum: 1, limit: 10_000_000 }];

/** End-to-end candles/s against the raw rates of its two halves, each measured alone on the same machine. */
export async function benchCandlePipeline(): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const sim = await startExchangeSimulator({ rateLimits: UNLIMITED });
  try {
    const fetchRate = await rawFetch(sim.url);
    const upsertRate = await rawUpsert(sim.url);
    const e2e = await endToEnd(sim.url, 'inprocess');
    const e2eProcess = await endToEnd(sim.url, 'process');
    // The same with an fsync at every commit of the bus and the store (STREAMFORGE_SQLITE_SYNCHRONOUS=full).
    const e2eFull = await endToEnd(sim.url, 'inprocess', 'full');
    const e2eProcessFull = await endToEnd(sim.url, 'process', 'full');
    const slower = Math.min(fetchRate, upsertRate);
    return {
      lines: [
        { name: 'simulator fetch alone (undici, JSON.parse, sequential pages)', value: Math.round(fetchRate), unit: 'candles/s' },
        { name: 'embedded store upsert alone (batches of 2000)', value: Math.round(upsertRate), unit: 'candles/s' },
        { name: `end-to-end, embedded, stages in process (${CANDLES.toLocaleString('en-US')} candles)`, value: Math.round(e2e), unit: 'candles/s' },
        { name: 'end-to-end, embedded, stages as OS processes', value: Math.round(e2eProcess), unit: 'candles/s' },
        { name: 'end-to-end in process, synchronous=FULL', value: Math.round(e2eFull), unit: 'candles/s' },
        { name: 'end-to-end as OS processes, synchronous=FULL', value: Math.round(e2eProcessFull), unit: 'candles/s' },
      ],
      ratios: [
        { name: 'end-to-end (in process) / slower of (fetch, upsert)', value: e2e / slower, target: '>= 0.5', met: e2e / slower >= 0.5 },
        { name: 'end-to-end (processes) / slower of (fetch, upsert)', value: e2eProcess / slower, target: '>= 0.5', met: e2eProcess / slower >= 0.5 },
        // No target: the cost of surviving a power loss as well as a crash, reported for the durability trade-off (README, Security).
        { name: 'synchronous=FULL / NORMAL, in process', value: e2eFull / e2e, target: 'measured', met: true },
        { name: 'synchronous=FULL / NORMAL, as OS processes', value: e2eProcessFull / e2eProcess, target: 'measured', met: true },
      ],
    };
  } finally {
    await sim.close();
  }
}

async function rawFetch(url: string): Promise<number> {
  const agent = new Agent({ connections: 4 });
  const started = performance.now();
  let n = 0;
  let start = FROM;
  for (;;) {
    const res = await request(`${url}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${start}&endTime=${TO - 1}&limit=1000`, { dispatcher: agent });
    const rows = (await res.body.json()) as KlineRow[];
    n += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < 1000) break;
    start = last[0] + 1;
  }
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return n / seconds;
}

async function rawUpsert(url: string): Promise<number> {
  // The same documents the connector writes, fetched first so that only the upserts are timed.
  const res = await request(`${url}/api/v3/klines?symbol=ETHUSDT&interval=1m&startTime=${FROM}&limit=1000`);
  const page = (await res.body.json()) as KlineRow[];
  const dir = await makeDataDir();
  const store = new EmbeddedStore(dir);
  await store.ensureCollection('bench_upsert', { sortField: 'open_time' });
  const started = performance.now();
  for (let done = 0; done < CANDLES; done += 2000) {
    const docs = [];
    for (let i = 0; i < 2000; i++) {
      const row = page[i % page.length] as KlineRow;
      const c = candleFromKline([row[0] + (done + i) * 60_000, ...row.slice(1)] as KlineRow, 'ETHUSDT', '1m');
      docs.push({ _key: candleKey(c), ...c });
    }
    await store.upsert('bench_upsert', docs);
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  await rm(dir, { recursive: true, force: true });
  return CANDLES / seconds;
}

async function endToEnd(url: string, launcher: 'inprocess' | 'process', synchronous: 'normal' | 'full' = 'normal'): Promise<number> {
  const env = { STREAMFORGE_LAUNCHER: launcher, STREAMFORGE_SQLITE_SYNCHRONOUS: synchronous };
  const rt = await startTestRuntime(url, { env, overrides: () => ({ logger: pino({ level: 'silent' }) }) });
  try {
    const started = performance.now();
    const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: FROM, toMs: TO } });
    const done = await rt.settle(wf.queue_id, 600_000);
    const seconds = (performance.now() - started) / 1000;
    if (done.status !== 'completed') throw new Error(`bench workflow ${done.status}: ${JSON.stringify(done.error)}`);
    return CANDLES / seconds;
  } finally {
    await rt.close();
  }
}
