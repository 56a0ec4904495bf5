import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { formatTimeRange, Targets } from '../../src/protocol/index.ts';
import type { Candle, EndOfStream, StartCommand, TelemetryEvent } from '../../src/protocol/index.ts';
import { ArchiveLoader } from '../../src/actors/index.ts';
import type { ArchiveDownloadOptions } from '../../src/actors/archive/index.ts';
import type { StageDeps, StageSettings } from '../../src/actors/index.ts';
import { LocalActorHost } from '../../src/system/actor-system/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { PromMetrics, systemClock } from '../../src/system/observability/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { expectedKlines, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { withArchiveFaults } from '../../src/system/exchange-simulator/archive-faults.ts';
import type { ArchiveFaults, FaultyArchiveHttp } from '../../src/system/exchange-simulator/archive-faults.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { FakeClock, turn } from '../helpers/fake-clock.ts';
import { defaultPolicies, noWebSockets, testStageSettings } from '../helpers/stage-settings.ts';
import { recordDataTopic } from '../helpers/data-recorder.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';

const utc = (iso: string): number => Date.parse(iso.includes('T') ? iso : `${iso}T00:00:00Z`);
/** The exchange's clock runs in real time from 2025-03-03 12:00 UTC: every month up to February 2025 is published. */
const SIM_START = utc('2025-03-03T12:00:00Z');
const shift = Date.now() - SIM_START;
const simNow = (): number => Date.now() - shift;
const SEED = 7;

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly file?: string;
  readonly [key: string]: unknown;
}

interface Run {
  /** Every candle on the data topic, in order, repeats included. */
  readonly candles: Candle[];
  readonly marker: EndOfStream;
  readonly events: TelemetryEvent[];
  readonly logs: LogLine[];
  readonly archivePaths: string[];
  readonly files: Record<string, number>;
}

interface RunOptions {
  readonly faults?: ArchiveFaults;
  readonly downloads?: ArchiveDownloadOptions;
  /** Attempts per archive download (the `archiveDownload` policy's budget). @defaultValue 3 */
  readonly attempts?: number;
  /** Time the loader's timers wait on; the test moves it whenever only stalled requests are under way. @defaultValue the system clock */
  readonly clock?: FakeClock;
}

/**
 * Moves `clock` timer by timer until `done` settles, but only while no request that will be answered
 * is under way: what waits on time is what the fake clock skips; answers still take their real time.
 */
async function runClock(clock: FakeClock, http: FaultyArchiveHttp, done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.finally(() => (settled = true));
  while (!settled) {
    await waitFor('the loader to wait on nothing but time', () => (settled || http.answering() === 0 ? true : undefined), 10_000, 1);
    const next = clock.nextAt();
    if (settled || next === undefined) await turn();
    else await clock.advanceTo(next);
  }
}

/** `settings` with `attempts` per archive download, and backoffs without jitter when `inStep` (a zip's and its checksum's attempts then go in step). */
function attemptsPerDownload(settings: StageSettings, attempts: number, inStep: boolean): StageSettings {
  const policy = settings.retry.archiveDownload;
  const archiveDownload = { ...policy, budget: { retries: attempts - 1 }, ...(inStep ? { jitter: 'none' as const } : {}) };
  return { ...settings, retry: { ...settings.retry, archiveDownload } };
}

/** Runs one ArchiveLoader to its end on a fresh embedded bus and store, against `sim` (archive faults in front of it). */
async function runLoader(sim: ExchangeSimulator, type: string, fromMs: number, toMs: number, options: RunOptions = {}): Promise<Run> {
  const bus = new EmbeddedBus({ dataDir: ':memory:', pollIntervalMs: 10 });
  const store = new EmbeddedStore(':memory:');
  const undici = new UndiciHttpClient();
  const http: FaultyArchiveHttp = withArchiveFaults(undici, options.faults ?? {});
  const logs: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const metrics = new PromMetrics({ defaults: false });
  const clock = options.clock ?? systemClock;
  const host = new LocalActorHost({ logger: log, metrics, clock, supervision: defaultPolicies.actorRestart });
  const id = randomBytes(3).toString('hex');
  const queueId = `wf-btcusdt-${type}-test-${id}`;
  const command: StartCommand = {
    command: 'start',
    queue_id: queueId,
    target: Targets.loader,
    symbol: 'BTCUSDT',
    type,
    time_range: formatTimeRange({ fromMs, toMs }),
    kafka_topic: `${queueId}-data`,
    collection_name: `btcusdt_${type}_test_${id}`,
    telemetry_id: `loader-producer__${id}`,
    timestamp: Date.now() / 1000,
  };
  const deps: StageDeps = {
    bus,
    store,
    clock,
    http,
    ws: noWebSockets('archive loader'),
    metrics,
    log,
    settings: attemptsPerDownload(testStageSettings({ binanceApiUrl: sim.url, binanceArchiveUrl: sim.archiveUrl }), options.attempts ?? 3, options.clock !== undefined),
  };
  await bus.ensureTopics([{ name: command.kafka_topic }, { name: 'queue-control' }, { name: 'queue-events' }]);
  const data = await recordDataTopic<Candle>(bus, command.kafka_topic);
  const events: TelemetryEvent[] = [];
  const telemetry = await recordTelemetry(bus, 'queue-events', events);
  try {
    let stopped: (failure: unknown) => void = () => undefined;
    const ended = new Promise<unknown>((resolve) => (stopped = resolve));
    host.spawn({
      name: 'loader',
      actorType: 'loader',
      supervision: { maxRestarts: 0, windowMs: 60_000, initialBackoffMs: 10, maxBackoffMs: 50 },
      onStop: stopped,
      create: (ctx) => new ArchiveLoader(deps, command, ctx, options.downloads),
    });
    if (options.clock) await runClock(options.clock, http, ended);
    assert.equal(await ended, undefined, 'the loader stopped without failing');
    const errors = () => events.filter((e) => e.status === 'error').map((e) => e.message);
    const end = await waitFor('the end marker', () => (errors().length > 0 ? assert.fail(`the loader reported: ${errors().join('; ')}`) : data.marker()), 10_000);
    await waitFor('the finished event', () => (events.some((e) => e.status === 'finished') ? true : undefined), 10_000);
    const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'streamforge_archive_files_total');
    const files = Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.outcome), v.value]));
    return { candles: data.records, marker: end, events, logs, archivePaths: http.archivePaths, files };
  } finally {
    await data.subscription.close();
    await telemetry.close();
    await host.shutdown();
    await undici.close();
    await bus.close();
    await store.close();
  }
}

const row = (c: Candle) => [
  c.open_time, c.open, c.high, c.low, c.close, c.volume, c.close_time,
  c.quote_asset_volume, c.number_of_trades, c.taker_buy_base_asset_volume, c.taker_buy_quote_asset_volume,
];

/** Each candle of the range produced exactly once, in order, every value as the exchange has it, and counted once. */
function assertExact(run: Run, interval: '1m' | '5m' | '1h' | '1w' | '1M', fromMs: number, toMs: number): void {
  const expected = expectedKlines('BTCUSDT', interval, fromMs, toMs, { seed: SEED, nowMs: simNow() });
  assert.ok(expected.length > 0);
  assert.equal(run.candles.length, expected.length, 'each candle produced once');
  assert.deepEqual(run.candles.map(row), expected.map((k) => k.slice(0, 11)));
  assert.equal(run.marker.records, expected.length, 'the end marker counts each candle once');
}

const warnings = (run: Run, msg: RegExp): LogLine[] => run.logs.filter((l) => l.level === 40 && msg.test(l.msg));

/** `lines` with `line` (0-based) changed by `change`. */
const changeLine = (lines: string[], line: number, change: (fields: string[]) => string[]): string[] =>
  lines.map((l, i) => (i === line ? change(l.split(',')).join(',') : l));

describe('ArchiveLoader', () => {
  let sim: ExchangeSimulator;
  before(async () => {
    sim = await startExchangeSimulator({ nowMs: simNow, seed: SEED });
  });
  after(async () => {
    await sim?.close();
  });

  it('reads rows repeated in a file once, counting them once; a file whose repeats conflict, or whose rows go back, falls back', async () => {
    const fromMs = utc('2024-11-04');
    const toMs = utc('2024-11-08');
    const run = await runLoader(sim, 'archive_candles_1m', fromMs, toMs, {
      faults: {
        rewrite: {
          // As in binance-public-data#191: lines repeated as they are.
          'BTCUSDT-1m-2024-11-04.zip': (lines) => [...lines.slice(0, 11), lines[10]!, lines[10]!, ...lines.slice(11, 501), lines[500]!, ...lines.slice(501)],
          // The same open time twice, with another close.
          'BTCUSDT-1m-2024-11-05.zip': (lines) => [...lines.slice(0, 21), changeLine(lines, 20, (f) => f.with(4, '1.00000000'))[20]!, ...lines.slice(21)],
          // Two rows swapped.
          'BTCUSDT-1m-2024-11-06.zip': (lines) => [...lines.slice(0, 30), lines[31]!, lines[30]!, ...lines.slice(32)],
        },
      },
    });
    assertExact(run, '1m', fromMs, toMs);
    assert.deepEqual({ ok: run.files.ok, corrupt: run.files.corrupt }, { ok: 2, corrupt: 2 });
    const repeats = warnings(run, /repeats rows/);
    assert.deepEqual(repeats.map((l) => [l.file, l.repeated_rows]), [['BTCUSDT-1m-2024-11-04.zip', 3]], 'repeats are logged at warn with their count');
    const corrupt = warnings(run, /corrupt/).map((l) => `${l.file} ${(l.err as { message?: string } | undefined)?.message}`);
    assert.equal(corrupt.length, 2);
    assert.match(corrupt[0] ?? '', /^BTCUSDT-1m-2024-11-05\.zip .*line 22: open time \d+ repeats the previous row's with other values/);
    assert.match(corrupt[1] ?? '', /^BTCUSDT-1m-2024-11-06\.zip .*line 32: open time \d+ is before the previous row's \d+: rows are out of order/);
  });

  it('checks a whole file before producing any of it: a bad row late in a month leaves none of its rows on the bus', async () => {
    const fromMs = utc('2024-11-01');
    const toMs = utc('2024-12-01');
    const run = await runLoader(sim, 'archive_candles_5m', fromMs, toMs, {
      faults: {
        rewrite: {
          // A well-formed row no exchange has (between two candles), then, past the first batch of 5000, a garbled line.
          'BTCUSDT-5m-2024-11.zip': (lines) => {
            const extra = changeLine(lines, 99, (f) => f.with(0, String(Number(f[0]) + 60_000)))[99]!;
            return [...lines.slice(0, 100), extra, ...lines.slice(100, 7000), 'garbled', ...lines.slice(7001)];
          },
        },
      },
    });
    assertExact(run, '5m', fromMs, toMs);
    assert.deepEqual({ ok: run.files.ok, corrupt: run.files.corrupt }, { ok: 30, corrupt: 1 }, 'the month fell back to its 30 days');
    assert.match(String((warnings(run, /corrupt/)[0]?.err as { message?: string } | undefined)?.message), /BTCUSDT-5m-2024-11\.zip is corrupt: line 7002: expected 12 kline columns/);
  });

  it('treats zip bombs with matching checksums as corrupt, saying what was wrong: a month falls back to its days, a day to REST', { timeout: 60_000 }, async () => {
    const bombs = await startExchangeSimulator({
      nowMs: simNow,
      seed: SEED,
      archive: {
        bombs: {
          // Valid rows, only far too many: the month's 744 candles, then its last one over and over up to 64 MiB.
          'BTCUSDT-1h-2024-10.zip': { unzippedBytes: 64 * 1024 * 1024 },
          // The day's real CSV, and 5,000 more entries.
          'BTCUSDT-1h-2024-11-05.zip': { unzippedBytes: 0, extraEntries: 5_000 },
        },
      },
    });
    try {
      const fromMs = utc('2024-10-01');
      const toMs = utc('2024-11-08');
      const run = await runLoader(bombs, 'archive_candles_1h', fromMs, toMs);
      assertExact(run, '1h', fromMs, toMs);
      assert.deepEqual({ ok: run.files.ok, corrupt: run.files.corrupt }, { ok: 31 + 6, corrupt: 2 }, "October read from its days, November's 5th over REST");
      const corrupt = warnings(run, /corrupt/).map((l) => `${l.file} ${(l.err as { message?: string } | undefined)?.message}`);
      assert.equal(corrupt.length, 2);
      assert.match(corrupt[0] ?? '', /^BTCUSDT-1h-2024-10\.zip .*BTCUSDT-1h-2024-10\.csv declares \d+ bytes unzipped, more than the 389120 allowed/, 'a month of 1h candles is bounded by its 744 rows');
      assert.match(corrupt[1] ?? '', /^BTCUSDT-1h-2024-11-05\.zip .*it holds 5001 entries/);
      assert.ok(run.archivePaths.some((p) => p.endsWith('BTCUSDT-1h-2024-10-31.zip')), 'the month fell back to its days');
    } finally {
      await bombs.close();
    }
  });

  it('sends loading heartbeats while a download stalls, and gives up on the file within its attempts: it is read over REST', { timeout: 30_000 }, async () => {
    const fromMs = utc('2024-11-04');
    const toMs = utc('2024-11-07');
    const stalled = 'BTCUSDT-1h-2024-11-05.zip';
    const run = await runLoader(sim, 'archive_candles_1h', fromMs, toMs, {
      faults: { stalled: [stalled] },
      downloads: { heartbeatMs: 50, attemptTimeoutMs: 300 },
      clock: new FakeClock(Date.now(), { sleeps: 'timer' }),
    });
    assertExact(run, '1h', fromMs, toMs);
    assert.equal(run.archivePaths.filter((p) => p.includes(stalled)).length, 6, '3 attempts at the zip and 3 at its checksum');
    assert.deepEqual({ ok: run.files.ok, missing: run.files.missing }, { ok: 2, missing: 1 });
    const beats = run.events.filter((e) => e.status === 'loading' && e.message === `Downloading ${stalled}`);
    // 3 attempts of 300 ms and two backoffs: over a second of waiting, a beat every 50 ms.
    assert.ok(beats.length >= 5, `loading heartbeats while the download stalled: ${beats.length}`);
    assert.equal(warnings(run, /unreachable/).length, 1, 'the stalled file is logged at warn');
  });

  it('warns per unreachable file, and once more loudly after 3 in a row, loading everything over REST', async () => {
    const fromMs = utc('2024-11-04');
    const toMs = utc('2024-11-09');
    const run = await runLoader(sim, 'archive_candles_1h', fromMs, toMs, { faults: { unreachable: 'all' }, attempts: 2 });
    assertExact(run, '1h', fromMs, toMs);
    assert.equal(run.files.missing, 5);
    assert.deepEqual(
      // Downloads run ahead of reading: their warnings come as they end.
      warnings(run, /archive file unreachable/).map((l) => l.file).sort(),
      ['04', '05', '06', '07', '08'].map((d) => `BTCUSDT-1h-2024-11-${d}.zip`),
    );
    const loud = warnings(run, /archive host looks unreachable/);
    assert.equal(loud.length, 1, 'said once');
    assert.equal(loud[0]?.archive_host, new URL(sim.archiveUrl).host);
    assert.match(loud[0]?.msg ?? '', /BINANCE_ARCHIVE_URL/);

    // A file that answers (even a 404) ends the run: two unreachable in a row is no pattern yet.
    const some = await runLoader(sim, 'archive_candles_1h', fromMs, toMs, {
      faults: { unreachable: ['04', '05', '07', '08'].map((d) => `BTCUSDT-1h-2024-11-${d}.zip`) },
      attempts: 1,
    });
    assertExact(some, '1h', fromMs, toMs);
    assert.equal(warnings(some, /archive file unreachable/).length, 4);
    assert.equal(warnings(some, /archive host looks unreachable/).length, 0);
  });

  it('asks for no daily file of an interval over a day: 1w and 1M read whole months from files, partial months over REST', async () => {
    for (const [interval, fromMs, toMs, months] of [
      ['1w', utc('2024-09-01'), utc('2024-12-15'), 3],
      ['1M', utc('2024-06-01'), utc('2024-09-20'), 3],
    ] as const) {
      const run = await runLoader(sim, `archive_candles_${interval}`, fromMs, toMs);
      assertExact(run, interval, fromMs, toMs);
      assert.deepEqual(run.archivePaths.filter((p) => p.includes('/daily/')), [], `${interval}: no daily files asked for`);
      assert.deepEqual({ ok: run.files.ok, missing: run.files.missing ?? 0 }, { ok: months, missing: 0 }, interval);
    }
  });
});
