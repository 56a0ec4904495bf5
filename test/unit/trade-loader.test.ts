import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { formatTimeRange, Targets } from '../../src/protocol/index.ts';
import type { AggTrade, EndOfStream, StartCommand, TelemetryEvent } from '../../src/protocol/index.ts';
import { TradeLoader } from '../../src/actors/index.ts';
import type { Bus, StageDeps, Store, SupervisionPolicy } from '../../src/actors/index.ts';
import { LocalActorHost } from '../../src/system/actor-system/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { PromMetrics, systemClock } from '../../src/system/observability/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { expectedAggTrades, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { AggTradeRow, ExchangeSimulator, Hole, SimulatorOptions } from '../../src/system/exchange-simulator/index.ts';
import { busFailingOnProduce, storeFailingOnUpsert } from '../helpers/faulty-ports.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { defaultPolicies, noWebSockets, testStageSettings } from '../helpers/stage-settings.ts';
import { recordDataTopic } from '../helpers/data-recorder.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';

const minute = 60_000;
const hour = 3_600_000;
const base = Date.parse('2024-06-03T00:00:00Z');
const fastRestarts: SupervisionPolicy = { maxRestarts: 5, windowMs: 60_000, initialBackoffMs: 10, maxBackoffMs: 50 };

interface Run {
  /** Every trade message on the data topic, duplicates included, in topic order per partition. */
  readonly messages: AggTrade[];
  /** Undefined when the run was stopped. */
  readonly marker: EndOfStream | undefined;
  readonly statuses: string[];
}

interface Options {
  concurrency?: number;
  wrapBus?: (bus: Bus) => Bus;
  wrapStore?: (store: Store) => Store;
  /** Sends `stop` on the control topic once the loader has started; the run then ends without a marker. */
  stopAfterStart?: boolean;
}

/** Runs one TradeLoader to its end on a fresh embedded bus and store, against `sim`. */
async function runLoader(
  sim: ExchangeSimulator,
  symbol: string,
  fromMs: number,
  toMs: number,
  options: Options = {},
): Promise<Run> {
  const rawBus = new EmbeddedBus({ dataDir: ':memory:', pollIntervalMs: 10 });
  const rawStore = new EmbeddedStore(':memory:');
  const bus = options.wrapBus?.(rawBus) ?? rawBus;
  const store = options.wrapStore?.(rawStore) ?? rawStore;
  const http = new UndiciHttpClient();
  const log = pino({ level: 'silent' });
  const metrics = new PromMetrics({ defaults: false });
  // Restarts need not wait their backoff here (what is tested is what a restart resumes from): the
  // host's sleeps pass at once on a clock of its own, while the loader paces itself on the real one.
  const host = new LocalActorHost({ logger: log, metrics, clock: new FakeClock(Date.now()), supervision: defaultPolicies.actorRestart });
  const id = randomBytes(3).toString('hex');
  const queueId = `wf-${symbol.toLowerCase()}-api_trades-test-${id}`;
  const command: StartCommand = {
    command: 'start',
    queue_id: queueId,
    target: Targets.loader,
    symbol,
    type: 'api_trades',
    time_range: formatTimeRange({ fromMs, toMs }),
    kafka_topic: `${queueId}-data`,
    collection_name: `${symbol.toLowerCase()}_api_trades_test`,
    telemetry_id: `loader-producer__${id}`,
    timestamp: Date.now() / 1000,
  };
  const deps: StageDeps = {
    bus,
    store,
    clock: systemClock,
    http,
    ws: noWebSockets('trade loader'),
    metrics,
    log,
    settings: testStageSettings({ binanceApiUrl: sim.url, loaderConcurrency: options.concurrency ?? 4 }),
  };
  await rawBus.ensureTopics([{ name: command.kafka_topic }, { name: 'queue-control' }, { name: 'queue-events' }]);
  const data = await recordDataTopic<AggTrade>(rawBus, command.kafka_topic);
  const telemetry: TelemetryEvent[] = [];
  const events = await recordTelemetry(rawBus, 'queue-events', telemetry);
  const messages = data.records;
  const statuses = () => telemetry.map((e) => e.status);
  const errors = () => telemetry.filter((e) => e.status === 'error').map((e) => e.message ?? '');
  try {
    let stopped: (failure: unknown) => void = () => undefined;
    const ended = new Promise<unknown>((resolve) => (stopped = resolve));
    host.spawn({ name: 'loader', actorType: 'loader', supervision: fastRestarts, onStop: stopped, create: (ctx) => new TradeLoader(deps, command, ctx) });
    if (options.stopAfterStart) {
      await waitFor('the started event', () => (statuses().includes('started') ? true : undefined), 10_000);
      await rawBus.produce('queue-control', [{ key: queueId, value: JSON.stringify({ command: 'stop', queue_id: queueId, timestamp: Date.now() / 1000 }) }]);
    }
    const failure = await ended;
    assert.equal(failure, undefined, `the loader failed: ${String(failure)}`);
    if (options.stopAfterStart) {
      await waitFor('the interrupted event', () => (statuses().includes('interrupted') ? true : undefined), 10_000);
      return { messages, marker: data.marker(), statuses: statuses() };
    }
    const end = await waitFor('the end marker', () => (errors().length > 0 ? assert.fail(`the loader reported: ${errors().join('; ')}`) : data.marker()), 10_000);
    await waitFor('the finished event', () => (statuses().includes('finished') ? true : undefined), 10_000);
    return { messages, marker: end, statuses: statuses() };
  } finally {
    await data.subscription.close();
    await events.close();
    await host.shutdown();
    await http.close();
    await rawBus.close();
    await rawStore.close();
  }
}

function asRows(trades: readonly AggTrade[]): AggTradeRow[] {
  return trades.map((t) => ({ a: t.trade_id, p: t.price, q: t.quantity, f: t.first_trade_id, l: t.last_trade_id, T: t.timestamp, m: t.is_buyer_maker, M: t.is_best_match }));
}

/** The distinct trades, by id, in id order. */
function distinct(trades: readonly AggTrade[]): AggTrade[] {
  const byId = new Map<number, AggTrade>();
  for (const t of trades) byId.set(t.trade_id, t);
  return [...byId.values()].sort((a, b) => a.trade_id - b.trade_id);
}

function assertExact(run: Run, expected: readonly AggTradeRow[]): void {
  const got = distinct(run.messages);
  assert.equal(got.length, expected.length, `loaded ${got.length} distinct trades, expected ${expected.length}`);
  assert.deepEqual(asRows(got), expected);
  assert.equal(run.marker?.records, expected.length, 'the end marker counts each distinct trade once');
  assert.equal(new Set(got.map((t) => t.symbol)).size <= 1, true, 'one symbol');
}

describe('TradeLoader (api_trades over REST)', () => {
  const holes: Hole[] = [
    { symbol: 'BTCUSDT', fromMs: base + 20 * minute, toMs: base + 4 * hour + 40 * minute },
    { symbol: 'ETHUSDT', fromMs: base + 10 * minute, toMs: base + 12 * minute },
  ];
  const simOptions: SimulatorOptions = { holes, symbols: { BTCUSDT: {}, ETHUSDT: {}, PEPEUSDT: { listedAtMs: base + 2 * hour + 5 * minute } } };
  let sim: ExchangeSimulator;
  before(async () => {
    sim = await startExchangeSimulator(simOptions);
  });
  after(async () => {
    await sim?.close();
  });

  it('pages by id: trades sharing a millisecond across a page boundary are all loaded', async () => {
    // Find a range whose first page (1000 trades from its start) ends inside a shared millisecond.
    const all = expectedAggTrades('ETHUSDT', base + 13 * minute, base + 2 * hour, { holes });
    let start = -1;
    for (let i = 1000; i + 1 < all.length; i++) {
      const first = all[i - 999];
      const beforeFirst = all[i - 1000];
      if (all[i]?.T === all[i + 1]?.T && first && beforeFirst && first.T > beforeFirst.T) {
        start = first.T;
        break;
      }
    }
    assert.ok(start > 0, 'the simulator has trades sharing a millisecond');
    const toMs = start + 20 * minute;
    const run = await runLoader(sim, 'ETHUSDT', start, toMs, { concurrency: 1 });
    const expected = expectedAggTrades('ETHUSDT', start, toMs, { holes });
    assertExact(run, expected);
    assert.ok(expected.length > 3000, 'several pages');
    assert.equal(run.messages.length, expected.length, 'no duplicate on a clean run');
  });

  it('splits the range into concurrent slices and still loads every trade exactly', async () => {
    const fromMs = base + 13 * minute + 417;
    const toMs = base + 53 * minute + 5;
    const run = await runLoader(sim, 'ETHUSDT', fromMs, toMs, { concurrency: 4 });
    assertExact(run, expectedAggTrades('ETHUSDT', fromMs, toMs, { holes }));
    assert.deepEqual(run.statuses.filter((s) => s !== 'loading'), ['started', 'finished']);
  });

  it('steps over exchange holes hour by hour, also a range starting inside one or before the listing', async () => {
    const cases: Array<[string, number, number]> = [
      ['BTCUSDT', base, base + 5 * hour], // slices inside a 4h20m hole
      ['BTCUSDT', base + 30 * minute, base + 4 * hour + 50 * minute], // starts inside the hole
      ['PEPEUSDT', base, base + 2 * hour + 25 * minute], // listed 2h05m in
    ];
    for (const [symbol, fromMs, toMs] of cases) {
      const listedAtMs = symbol === 'PEPEUSDT' ? base + 2 * hour + 5 * minute : undefined;
      const expected = expectedAggTrades(symbol, fromMs, toMs, { holes, ...(listedAtMs ? { listedAtMs } : {}) });
      const run = await runLoader(sim, symbol, fromMs, toMs, { concurrency: 4 });
      assertExact(run, expected);
      assert.ok(expected.length > 0);
    }
  });

  it('loads nothing (and says so) for a range the exchange has no trade in', async () => {
    const run = await runLoader(sim, 'BTCUSDT', base + hour, base + 3 * hour, { concurrency: 3 });
    assert.equal(run.messages.length, 0);
    assert.equal(run.marker?.records, 0);
  });

  it('resumes from its cursor after crashes, counting each trade once even when a page was produced twice', async () => {
    const fromMs = base + 5 * hour;
    const toMs = base + 6 * hour;
    let bus: (Bus & { failures: number }) | undefined;
    let store: (Store & { failures: number }) | undefined;
    const run = await runLoader(sim, 'BTCUSDT', fromMs, toMs, {
      concurrency: 2,
      // A produce that fails: the round is fetched again. A cursor save that fails after its page
      // was produced: the page is produced again, but counted once.
      wrapBus: (b) => (bus = busFailingOnProduce(b, (t) => t.endsWith('-data'), new Set([2]))),
      wrapStore: (s) => (store = storeFailingOnUpsert(s, (c) => c === 'loader_cursors', new Set([3, 5]))),
    });
    assert.equal(bus?.failures, 1);
    assert.equal(store?.failures, 2);
    const expected = expectedAggTrades('BTCUSDT', fromMs, toMs, { holes });
    assertExact(run, expected);
    assert.ok(run.messages.length > expected.length, 'some pages were produced twice');
  });

  it('stops on a stop command between pages, without an end marker', async () => {
    const slow = await startExchangeSimulator({ ...simOptions, latencyMs: 40 });
    try {
      const run = await runLoader(slow, 'ETHUSDT', base + 13 * minute, base + 3 * hour, { concurrency: 2, stopAfterStart: true });
      assert.equal(run.statuses.at(-1), 'interrupted');
      assert.ok(!run.statuses.includes('finished'));
      assert.equal(run.marker, undefined);
      assert.ok(run.messages.length < expectedAggTrades('ETHUSDT', base + 13 * minute, base + 3 * hour, { holes }).length);
    } finally {
      await slow.close();
    }
  });

  it('stops at the exchange’s present when the range reaches into the future', async () => {
    const now = Date.now();
    const fromMs = now - 10 * minute;
    const run = await runLoader(sim, 'ETHUSDT', fromMs, now + hour, { concurrency: 2 });
    const got = distinct(run.messages);
    const expected = expectedAggTrades('ETHUSDT', fromMs, Date.now() + 1, { holes });
    assert.deepEqual(asRows(got), expected.slice(0, got.length), 'a prefix of the exchange’s trades, without a gap');
    const last = got.at(-1);
    assert.ok(last && last.timestamp >= now - 3_000, 'loaded up to about now');
    assert.ok(last.timestamp < Date.now() - 900, 'the newest second is left: it may still get trades');
    assert.equal(run.marker?.records, got.length);
  });
});
