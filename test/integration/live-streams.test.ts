import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Subscription } from '../../src/actors/index.ts';
import { AggTrade, aggTradeFromRow, Candle, candleFromKline, Targets, Trade, tradeFromRow } from '../../src/protocol/index.ts';
import type { Workflow , TelemetryEvent} from '../../src/protocol/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { expectedAggTrades, expectedKlines, expectedTrades, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { busFailingOnProduce } from '../helpers/faulty-ports.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';

const SEED = 31;
/** Starts a few seconds in the past (REST backfill, then the seam), ends in the future (live). */
const PAST_MS = 4_000;
const RANGE_MS = 18_000;

describe('live streams: ws_aggtrades, ws_candles_1s, ws_trades across disconnects, a shutdown and rotations', () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;
  let events: Subscription | undefined;
  const telemetry: TelemetryEvent[] = [];

  before(async () => {
    // The server cuts connections after 4 s; the client rotates after 3 s (overlapping), so both happen.
    sim = await startExchangeSimulator({ seed: SEED, ws: { maxConnectionMs: 4_000, tickMs: 50 } });
    rt = await startTestRuntime(sim.url, { env: { BINANCE_WS_URL: sim.wsUrl, WS_ROTATE_MS: '3000' } });
    events = await recordTelemetry(rt.runtime.bus, rt.runtime.config.QUEUE_EVENTS_TOPIC, telemetry);
  });
  after(async () => {
    await events?.close();
    await rt?.close();
    await sim?.close();
  });

  const loaderEvents = (wf: Workflow) => telemetry.filter((e) => e.queue_id === wf.queue_id && e.producer.includes('loader'));
  const repairsOf = (wf: Workflow) => Math.max(0, ...loaderEvents(wf).map((e) => e.repairs ?? 0));

  it('stores exactly what the exchange had in the range, repairing every disconnect over REST', async () => {
    const fromMs = Date.now() - PAST_MS;
    const toMs = fromMs + RANGE_MS;
    const range = { fromMs, toMs };
    const [aggs, candles, trades] = await Promise.all([
      rt.manager.create({ symbol: 'BTCUSDT', type: 'ws_aggtrades', range }),
      rt.manager.create({ symbol: 'BTCUSDT', type: 'ws_candles_1s', range }),
      rt.manager.create({ symbol: 'ETHUSDT', type: 'ws_trades', range }),
    ]);
    const all = [aggs, candles, trades];
    const everyoneLive = () => (all.every((wf) => loaderEvents(wf).some((e) => e.status === 'loading' && (e.records_written ?? 0) > 0)) ? true : undefined);
    await waitFor('every loader producing', everyoneLive, 20_000);

    const opened = sim.wsStats().connectionsOpened;
    assert.ok(sim.dropConnections() >= 1, 'a connection was dropped');
    await waitFor('a repair after the first drop', () => (all.every((wf) => repairsOf(wf) >= 1) ? true : undefined), 10_000);
    assert.ok(sim.wsStats().connectionsOpened > opened);

    const beforeShutdown = sim.wsStats().connectionsOpened;
    sim.serverShutdown();
    await waitFor('a replacement after serverShutdown', () => (sim.wsStats().connectionsOpened > beforeShutdown ? true : undefined), 5_000);

    assert.ok(sim.dropConnections() >= 1, 'a connection was dropped again');
    await waitFor('a repair after the second drop', () => (all.every((wf) => repairsOf(wf) >= 2) ? true : undefined), 10_000);
    assert.ok(Date.now() < toMs, 'the faults happened inside the range');

    const done = await Promise.all(all.map((wf) => rt.settle(wf.queue_id, 60_000)));
    for (const wf of done) assert.equal(wf.status, 'completed', `${wf.queue_id}: ${JSON.stringify(wf.error)}`);
    const now = Date.now();

    const expectedAggs = expectedAggTrades('BTCUSDT', fromMs, toMs, { seed: SEED, nowMs: now }).map((r) => aggTradeFromRow(r, 'BTCUSDT'));
    const storedAggs = (await rt.runtime.store.range(aggs.collection_name)).map((d) => AggTrade.parse(d));
    assertConsecutive(storedAggs.map((t) => t.trade_id), 'aggregate trade ids');
    assert.deepEqual(storedAggs, expectedAggs);

    const expectedCandles = expectedKlines('BTCUSDT', '1s', fromMs, toMs, { seed: SEED, nowMs: now }).map((k) => candleFromKline(k, 'BTCUSDT', '1s'));
    const storedCandles = (await rt.runtime.store.range(candles.collection_name)).map((d) => Candle.parse(d));
    assert.deepEqual(storedCandles, expectedCandles);

    const expectedSingle = expectedTrades('ETHUSDT', fromMs, toMs, { seed: SEED, nowMs: now }).map((r) => tradeFromRow(r, 'ETHUSDT'));
    const storedSingle = (await rt.runtime.store.range(trades.collection_name)).map((d) => Trade.parse(d));
    assertConsecutive(storedSingle.map((t) => t.trade_id), 'trade ids');
    assert.deepEqual(storedSingle, expectedSingle);

    for (const [wf, n] of [[done[0], expectedAggs.length], [done[1], expectedCandles.length], [done[2], expectedSingle.length]] as const) {
      assert.ok(n > 0);
      assert.equal(wf?.stages[Targets.loader]?.records, n, `${wf?.queue_id}: loader count`);
      assert.equal(wf?.stages[Targets.connector]?.records, n, `${wf?.queue_id}: connector count`);
      const finished = loaderEvents(wf).find((e) => e.status === 'finished');
      assert.ok(finished, 'the loader said finished');
      assert.ok((finished.repairs ?? 0) >= 2, `${wf?.queue_id}: ${finished.repairs} repairs reported`);
      assert.ok((finished.reconnects ?? 0) >= 2, `${wf?.queue_id}: ${finished.reconnects} reconnects reported`);
      assert.ok((finished.repaired_records ?? 0) >= 0);
      assert.equal(finished.unrepaired_gaps, 0, `${wf?.queue_id}: every gap was filled over REST`);
    }
    const reconnects = await rt.runtime.metrics.registry.getSingleMetricAsString('streamforge_stream_reconnects_total');
    const rotations = Number(/streamforge_stream_reconnects_total\{reason="rotation"\} (\d+)/.exec(reconnects)?.[1] ?? 0);
    assert.ok(rotations >= 2, `the client rotated its connection (${rotations} times)`);
    assert.equal(sim.wsStats().rotations, 0, 'always before the server cut it');
    assert.match(reconnects, /reason="server_shutdown"\} 1/);
  });

  it('loads a range already over from REST alone, and a range starting later from its first live event', async () => {
    const now = Date.now();
    const past = { fromMs: now - 95_000, toMs: now - 35_000 };
    const later = { fromMs: now + 1_500, toMs: now + 5_000 };
    const cases = await Promise.all([
      rt.manager.create({ symbol: 'ETHUSDT', type: 'ws_aggtrades', range: past }).then((wf) => ({ wf, range: past })),
      rt.manager.create({ symbol: 'ETHUSDT', type: 'ws_candles_1s', range: past }).then((wf) => ({ wf, range: past })),
      rt.manager.create({ symbol: 'PEPEUSDT', type: 'ws_aggtrades', range: later }).then((wf) => ({ wf, range: later })),
    ]);
    for (const { wf, range } of cases) {
      const done = await rt.settle(wf.queue_id, 60_000);
      assert.equal(done.status, 'completed', `${wf.queue_id}: ${JSON.stringify(done.error)}`);
      const stored = await rt.runtime.store.range(wf.collection_name);
      const expected =
        wf.type === 'ws_candles_1s'
          ? expectedKlines(wf.symbol, '1s', range.fromMs, range.toMs, { seed: SEED, nowMs: Date.now() }).map((k) => candleFromKline(k, wf.symbol, '1s'))
          : expectedAggTrades(wf.symbol, range.fromMs, range.toMs, { seed: SEED, nowMs: Date.now() }).map((r) => aggTradeFromRow(r, wf.symbol));
      const parsed = stored.map((d) => (wf.type === 'ws_candles_1s' ? Candle.parse(d) : AggTrade.parse(d)));
      assert.ok(expected.length > 0);
      assert.deepEqual(parsed, expected, wf.queue_id);
      assert.equal(done.stages[Targets.loader]?.records, expected.length);
    }
  });
});

describe('live streams: a loader that crashes mid-stream', () => {
  let sim: ExchangeSimulator;
  before(async () => {
    sim = await startExchangeSimulator({ seed: SEED });
  });
  after(async () => {
    await sim?.close();
  });

  it('resumes from its cursor and repairs the interval it was down over REST', async () => {
    let bus: ReturnType<typeof busFailingOnProduce> | undefined;
    const rt = await startTestRuntime(sim.url, {
      env: { BINANCE_WS_URL: sim.wsUrl },
      overrides: (dir) => {
        bus = busFailingOnProduce(new EmbeddedBus({ dataDir: dir }), (t) => t.endsWith('-data'), new Set([3, 12]));
        return { bus, stageSupervision: { maxRestarts: 3, windowMs: 60_000, initialBackoffMs: 300, maxBackoffMs: 1_000 } };
      },
    });
    try {
      const fromMs = Date.now() - 3_000;
      const toMs = fromMs + 10_000;
      const wf = await rt.manager.create({ symbol: 'PEPEUSDT', type: 'ws_aggtrades', range: { fromMs, toMs } });
      const done = await rt.settle(wf.queue_id, 60_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.equal(bus?.failures, 2, 'two crashes were injected');
      assert.equal(done.stages[Targets.loader]?.restarts, 2);
      const expected = expectedAggTrades('PEPEUSDT', fromMs, toMs, { seed: SEED, nowMs: Date.now() }).map((r) => aggTradeFromRow(r, 'PEPEUSDT'));
      const stored = (await rt.runtime.store.range(wf.collection_name)).map((d) => AggTrade.parse(d));
      assertConsecutive(stored.map((t) => t.trade_id), 'aggregate trade ids');
      assert.deepEqual(stored, expected);
      assert.equal(done.stages[Targets.loader]?.records, expected.length);
      assert.equal(done.stages[Targets.connector]?.records, expected.length);
    } finally {
      await rt.close();
    }
  });
});

function assertConsecutive(ids: readonly number[], what: string): void {
  for (let i = 1; i < ids.length; i++) assert.equal(ids[i], (ids[i - 1] ?? 0) + 1, `${what}: ${(ids[i - 1] ?? 0) + 1} missing`);
}
