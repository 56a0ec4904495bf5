import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Targets } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { expectedAggTrades, expectedKlines, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator, Hole } from '../../src/system/exchange-simulator/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { withArchiveFaults } from '../../src/system/exchange-simulator/archive-faults.ts';
import type { FaultyArchiveHttp } from '../../src/system/exchange-simulator/archive-faults.ts';
import { busFailingOnProduce } from '../helpers/faulty-ports.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';

const HOUR = 3_600_000;
const utc = (iso: string): number => Date.parse(iso.includes('T') ? iso : `${iso}T00:00:00Z`);

/** The exchange's clock runs in real time from 2025-03-03 12:00 UTC, so the archive holds Feb 2025 but not March. */
const SIM_START = utc('2025-03-03T12:00:00Z');
const shift = Date.now() - SIM_START;
const simNow = (): number => Date.now() - shift;

/**
 * ETHUSDT trades only a few hours a day here (maintenance holes), so each daily file is small; the
 * hole opening 2025-01-01 makes the REST fallback of that day step hour by hour to its first trade.
 */
const holes: Hole[] = [
  { symbol: 'ETHUSDT', fromMs: utc('2024-12-29T23:00:00Z'), toMs: utc('2024-12-30T21:00:00Z') },
  { symbol: 'ETHUSDT', fromMs: utc('2024-12-31T02:00:00Z'), toMs: utc('2024-12-31T23:00:00Z') },
  { symbol: 'ETHUSDT', fromMs: utc('2025-01-01T00:00:00Z'), toMs: utc('2025-01-01T20:30:00Z') },
  { symbol: 'ETHUSDT', fromMs: utc('2025-01-02T03:00:00Z'), toMs: utc('2025-01-02T22:00:00Z') },
];
const missing = ['BTCUSDT-1m-2025-01.zip', 'ETHUSDT-aggTrades-2024-12-31.zip'];
const corrupt = ['BTCUSDT-1m-2025-01-15.zip', 'ETHUSDT-aggTrades-2025-01-01.zip'];

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly file?: string;
}

describe('archive backfill over the embedded bus and store', () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;
  const logs: LogLine[] = [];

  before(async () => {
    sim = await startExchangeSimulator({ nowMs: simNow, seed: 11, holes, archive: { missing, corrupt } });
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
    rt = await startTestRuntime(sim.url, { env: { BINANCE_ARCHIVE_URL: sim.archiveUrl }, overrides: () => ({ logger }) });
  });
  after(async () => {
    await rt?.close();
    await sim?.close();
  });

  async function filesOf(runtime: TestRuntime): Promise<Record<string, number>> {
    const metric = (await runtime.runtime.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'streamforge_archive_files_total');
    return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.outcome), v.value]));
  }

  const archiveFiles = (): Promise<Record<string, number>> => filesOf(rt);

  function assertCompleted(done: Workflow, records: number): void {
    assert.equal(done.status, 'completed', `${done.queue_id}: ${JSON.stringify(done.error)}`);
    assert.equal(done.stages[Targets.loader]?.records, records);
    assert.equal(done.stages[Targets.connector]?.records, records);
  }

  it('loads 1m candles from monthly, daily, microsecond and millisecond files and REST, exactly, across a missing month and a corrupt day', async () => {
    // Pieces: REST 12-30 05:00→24:00, day 12-31 (ms), January (missing → its 31 days in µs, the 15th
    // corrupt → REST), February (a µs month), days 03-01 and 03-02, REST 03-03 00:00→06:00 (today).
    const fromMs = utc('2024-12-30T05:00:00Z');
    const toMs = utc('2025-03-03T06:00:00Z');
    const before = await archiveFiles();
    const requestsBefore = sim.stats().requestsByPath['/api/v3/klines'] ?? 0;
    const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'archive_candles_1m', range: { fromMs, toMs } });
    const done = await rt.settle(wf.queue_id, 240_000);

    const expected = expectedKlines('BTCUSDT', '1m', fromMs, toMs, { seed: 11, holes, nowMs: simNow() });
    assert.equal(expected.length, (toMs - fromMs) / 60_000);
    assertCompleted(done, expected.length);
    const stored = await rt.runtime.store.range(wf.collection_name, { from: fromMs, to: toMs });
    const rows = stored.map((c) => [
      c.open_time, c.open, c.high, c.low, c.close, c.volume, c.close_time,
      c.quote_asset_volume, c.number_of_trades, c.taker_buy_base_asset_volume, c.taker_buy_quote_asset_volume,
    ]);
    assert.equal(rows.length, expected.length);
    assert.deepEqual(rows, expected.map((k) => k.slice(0, 11)), 'every candle, every digit, times in milliseconds');
    assert.equal(await rt.runtime.store.count(wf.collection_name), expected.length, 'nothing outside the range');

    const after = await archiveFiles();
    const delta = (outcome: string) => (after[outcome] ?? 0) - (before[outcome] ?? 0);
    // ok: 12-31, January's 30 good days, February, 03-01, 03-02.
    assert.deepEqual({ ok: delta('ok'), missing: delta('missing'), corrupt: delta('corrupt') }, { ok: 34, missing: 1, corrupt: 1 });
    const warned = logs.filter((l) => l.level === 40 && l.file === 'BTCUSDT-1m-2025-01-15.zip');
    assert.equal(warned.length, 1, 'the corrupt file is logged at warn with its name');
    assert.match(warned[0]?.msg ?? '', /corrupt/);
    // REST: 19 hours (2 pages of at most 1000), the corrupt day (2), 6 hours (1), the listing probe (1).
    const restPages = (sim.stats().requestsByPath['/api/v3/klines'] ?? 0) - requestsBefore;
    assert.equal(restPages, 6, 'REST only for the partial days, the corrupt day and the tail');
  });

  it('loads aggregate trades from daily files and REST, exactly, across a missing and a corrupt day', async () => {
    // Pieces: REST 12-29 22:00→24:00, day 12-30 (ms), 12-31 (missing → REST), 2025-01-01 (µs,
    // corrupt → REST from a hole), 01-02 (µs), REST 01-03 00:00→02:00.
    const fromMs = utc('2024-12-29T22:00:00Z');
    const toMs = utc('2025-01-03T02:00:00Z');
    const before = await archiveFiles();
    const wf = await rt.manager.create({ symbol: 'ETHUSDT', type: 'archive_trades', range: { fromMs, toMs } });
    const done = await rt.settle(wf.queue_id, 240_000);

    const expected = expectedAggTrades('ETHUSDT', fromMs, toMs, { seed: 11, holes, nowMs: simNow() });
    assertCompleted(done, expected.length);
    const stored = await rt.runtime.store.range(wf.collection_name, { from: fromMs, to: toMs });
    const rows = stored
      .map((t) => ({ a: t.trade_id, p: t.price, q: t.quantity, f: t.first_trade_id, l: t.last_trade_id, T: t.timestamp, m: t.is_buyer_maker, M: t.is_best_match }))
      .sort((x, y) => Number(x.a) - Number(y.a));
    assert.equal(rows.length, expected.length);
    assert.equal(JSON.stringify(rows), JSON.stringify(expected), 'every aggregate trade, no id missing');
    const ids = expected.map((t) => t.a);
    assert.equal(ids.at(-1)! - ids[0]! + 1, ids.length, 'consecutive aggregate ids across holes, files and REST');

    const after = await archiveFiles();
    const delta = (outcome: string) => (after[outcome] ?? 0) - (before[outcome] ?? 0);
    assert.deepEqual({ ok: delta('ok'), missing: delta('missing'), corrupt: delta('corrupt') }, { ok: 2, missing: 1, corrupt: 1 });
    assert.ok(logs.some((l) => l.level === 40 && l.file === 'ETHUSDT-aggTrades-2025-01-01.zip'));
  });

  it('reads a range ending in the future up to the exchange’s now: closed candles only', async () => {
    const fromMs = utc('2025-03-01');
    const toMs = SIM_START + 10 * HOUR;
    const before = await archiveFiles();
    const wf = await rt.manager.create({ symbol: 'ETHUSDT', type: 'archive_candles_1h', range: { fromMs, toMs } });
    const done = await rt.settle(wf.queue_id, 60_000);
    const now = simNow();
    const expected = expectedKlines('ETHUSDT', '1h', fromMs, toMs, { seed: 11, holes, nowMs: now }).filter((k) => k[6] < now);
    // Days 03-01 and 03-02 from their files, then today over REST: 00:00 … 11:00 (12:00 is still open).
    assert.equal(expected.length, 60);
    assertCompleted(done, expected.length);
    const stored = await rt.runtime.store.range(wf.collection_name, { from: fromMs, to: toMs });
    assert.deepEqual(stored.map((c) => c.open_time), expected.map((k) => k[0]));
    assert.deepEqual(stored.map((c) => c.close), expected.map((k) => k[4]));
    assert.equal(((await archiveFiles()).ok ?? 0) - (before.ok ?? 0), 2, 'two daily files');
  });

  it('completes exactly across files as published with faults: repeated lines, a bad row late in a month, no daily files for 1w', async () => {
    const undici = new UndiciHttpClient();
    let http: FaultyArchiveHttp | undefined;
    const faulty = await startTestRuntime(sim.url, {
      env: { BINANCE_ARCHIVE_URL: sim.archiveUrl },
      overrides: () => {
        http = withArchiveFaults(undici, {
          rewrite: {
            // binance-public-data#191: lines repeated as they are, counted once or the connector fails the workflow.
            'BTCUSDT-5m-2024-12-01.zip': (lines) => [...lines.slice(0, 51), ...Array<string>(3).fill(lines[50]!), ...lines.slice(51)],
            // A row no exchange has, then past the first batch a garbled line: none of the month may stay stored.
            'BTCUSDT-5m-2024-11.zip': (lines) => {
              const f = lines[99]!.split(',');
              const extra = [String(Number(f[0]) + 60_000), ...f.slice(1)].join(',');
              return [...lines.slice(0, 100), extra, ...lines.slice(100, 7000), 'garbled', ...lines.slice(7001)];
            },
          },
        });
        return { http };
      },
    });
    try {
      const before = await filesOf(faulty);
      const fromMs = utc('2024-11-01');
      const toMs = utc('2024-12-03');
      const wf = await faulty.manager.create({ symbol: 'BTCUSDT', type: 'archive_candles_5m', range: { fromMs, toMs } });
      const done = await faulty.settle(wf.queue_id, 120_000);
      const expected = expectedKlines('BTCUSDT', '5m', fromMs, toMs, { seed: 11, holes, nowMs: simNow() });
      assertCompleted(done, expected.length);
      const stored = await faulty.runtime.store.range(wf.collection_name, { from: fromMs, to: toMs });
      assert.deepEqual(stored.map((c) => [c.open_time, c.close, c.volume]), expected.map((k) => [k[0], k[4], k[5]]));
      assert.equal(await faulty.runtime.store.count(wf.collection_name), expected.length, 'no row of the bad month stayed stored');
      const after = await filesOf(faulty);
      const delta = (outcome: string) => (after[outcome] ?? 0) - (before[outcome] ?? 0);
      // ok: November's 30 days, 12-01 (its repeats skipped), 12-02.
      assert.deepEqual({ ok: delta('ok'), missing: delta('missing'), corrupt: delta('corrupt') }, { ok: 32, missing: 0, corrupt: 1 });

      // 3d, 1w and 1mo are monthly files alone: the days of a partial month go over REST, never to a 404.
      const weekFrom = utc('2024-09-01');
      const weekTo = utc('2024-12-15');
      const paths = http?.archivePaths.length ?? 0;
      const weeks = await faulty.manager.create({ symbol: 'BTCUSDT', type: 'archive_candles_1w', range: { fromMs: weekFrom, toMs: weekTo } });
      const weeksDone = await faulty.settle(weeks.queue_id, 60_000);
      assertCompleted(weeksDone, expectedKlines('BTCUSDT', '1w', weekFrom, weekTo, { seed: 11, holes, nowMs: simNow() }).length);
      const asked = http?.archivePaths.slice(paths) ?? [];
      assert.equal(asked.length, 6, 'September, October and November, zip and checksum');
      assert.deepEqual(asked.filter((p) => p.includes('/daily/')), []);
    } finally {
      await faulty.close();
      await undici.close();
    }
  });

  it('resumes after crashes mid-month from its cursor: the month is read again, the count stays exact', async () => {
    let bus: ReturnType<typeof busFailingOnProduce> | undefined;
    const crashing = await startTestRuntime(sim.url, {
      env: { BINANCE_ARCHIVE_URL: sim.archiveUrl },
      overrides: (dir) => {
        // Produce calls: 1 = day 01-31, then February in batches of 5000: crash on its 3rd and, after the restart, its 4th batch.
        bus = busFailingOnProduce(new EmbeddedBus({ dataDir: dir }), (topic) => topic.endsWith('-data'), new Set([4, 9]));
        return { bus, stageSupervision: { maxRestarts: 3, windowMs: 60_000, initialBackoffMs: 20, maxBackoffMs: 200 } };
      },
    });
    try {
      const fromMs = utc('2025-01-31');
      const toMs = utc('2025-03-01');
      const wf = await crashing.manager.create({ symbol: 'ETHUSDT', type: 'archive_candles_1m', range: { fromMs, toMs } });
      const done = await crashing.settle(wf.queue_id, 120_000);
      const expected = expectedKlines('ETHUSDT', '1m', fromMs, toMs, { seed: 11, holes, nowMs: simNow() });
      assert.equal(bus?.failures, 2);
      assert.equal(done.stages[Targets.loader]?.restarts, 2);
      assertCompleted(done, expected.length);
      const stored = await crashing.runtime.store.range(wf.collection_name, { from: fromMs, to: toMs });
      assert.deepEqual(stored.map((c) => [c.open_time, c.close, c.volume]), expected.map((k) => [k[0], k[4], k[5]]));
    } finally {
      await crashing.close();
    }
  });
});
