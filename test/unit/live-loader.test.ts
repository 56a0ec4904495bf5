import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { formatTimeRange, Targets } from '../../src/protocol/index.ts';
import type { StartCommand, TimeRange , TelemetryEvent } from '../../src/protocol/index.ts';
import { LiveLoader } from '../../src/actors/index.ts';
import type { Clock, HttpClient, HttpRequestOptions, HttpResponse, Logger, StageDeps, WebSocketConnection, WebSocketConnector, WebSocketHandlers } from '../../src/actors/index.ts';
import { loadLiveCursor } from '../../src/actors/live/live-cursor.ts';
import { LocalActorHost } from '../../src/system/actor-system/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { PromMetrics, systemClock } from '../../src/system/observability/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { expectedAggTrades, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { AggTradeRow, ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';
import { defaultPolicies, testStageSettings } from '../helpers/stage-settings.ts';

/** Combined-stream sockets in process: opened at once, SUBSCRIBEs answered, events sent by the test. */
class FakeStreams implements WebSocketConnector {
  readonly #sockets: Array<{ readonly url: string; readonly handlers: WebSocketHandlers; open: boolean }> = [];

  connect(url: string, handlers: WebSocketHandlers): WebSocketConnection {
    const socket = { url, handlers, open: false };
    this.#sockets.push(socket);
    queueMicrotask(() => {
      socket.open = true;
      handlers.onOpen();
    });
    const end = () => {
      if (!socket.open) return;
      socket.open = false;
      queueMicrotask(() => handlers.onClose(1000, ''));
    };
    return {
      send: (text) => {
        const { id } = JSON.parse(text) as { id: number };
        queueMicrotask(() => handlers.onMessage(JSON.stringify({ result: null, id })));
      },
      close: end,
      terminate: end,
    };
  }

  /** True once a socket carrying `stream` is open. */
  carries(stream: string): boolean {
    return this.#sockets.some((s) => s.open && s.url.includes(stream));
  }

  emit(stream: string, data: unknown): void {
    for (const s of this.#sockets) if (s.open && s.url.includes(stream)) s.handlers.onMessage(JSON.stringify({ stream, data }));
  }
}

interface LogEntry {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

class RecordingLog implements Logger {
  readonly entries: LogEntry[] = [];
  child(): Logger {
    return this;
  }
  debug(): void {}
  info(obj: object, msg: string): void {
    this.entries.push({ level: 'info', obj: obj as Record<string, unknown>, msg });
  }
  warn(obj: object, msg: string): void {
    this.entries.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg: string): void {
    this.entries.push({ level: 'error', obj: obj as Record<string, unknown>, msg });
  }
  said(msg: string): LogEntry[] {
    return this.entries.filter((e) => e.msg === msg);
  }
}

/** The simulator over real HTTP; aggTrades answered 503 while `failing`, each aggTrades request counted. */
class SwitchableHttp implements HttpClient {
  failing = false;
  aggTradesRequests = 0;
  readonly #inner: HttpClient;

  constructor(inner: HttpClient) {
    this.#inner = inner;
  }

  get(url: string, options?: HttpRequestOptions): Promise<HttpResponse> {
    if (new URL(url).pathname === '/api/v3/aggTrades') {
      this.aggTradesRequests++;
      if (this.failing) return Promise.resolve({ status: 503, headers: {}, body: JSON.stringify({ code: -1001, msg: 'Internal error; unable to process your request.' }) });
    }
    return this.#inner.get(url, options);
  }

  getBytes(url: string, options?: HttpRequestOptions) {
    return this.#inner.getBytes(url, options);
  }
}

interface Run {
  readonly queueId: string;
  readonly store: EmbeddedStore;
  readonly metrics: PromMetrics;
  readonly log: RecordingLog;
  readonly streams: FakeStreams;
  readonly telemetry: TelemetryEvent[];
  close(): Promise<void>;
}

/** One LiveLoader on a fresh embedded bus and store, REST from `http`, its live stream from the test. */
async function startLoader(baseUrl: string, http: HttpClient, type: string, symbol: string, range: TimeRange, clock: Clock = systemClock): Promise<Run> {
  const bus = new EmbeddedBus({ dataDir: ':memory:', pollIntervalMs: 10 });
  const store = new EmbeddedStore(':memory:');
  const metrics = new PromMetrics({ defaults: false });
  const log = new RecordingLog();
  const streams = new FakeStreams();
  const host = new LocalActorHost({ logger: log, metrics, clock, supervision: defaultPolicies.actorRestart });
  const id = randomBytes(3).toString('hex');
  const queueId = `wf-${symbol.toLowerCase()}-${type}-test-${id}`;
  const command: StartCommand = {
    command: 'start',
    queue_id: queueId,
    target: Targets.loader,
    symbol,
    type,
    time_range: formatTimeRange(range),
    kafka_topic: `${queueId}-data`,
    collection_name: `${symbol.toLowerCase()}_${type}_test_${id}`,
    telemetry_id: `loader-producer__${id}`,
    timestamp: Date.now() / 1000,
  };
  const deps: StageDeps = {
    bus,
    store,
    clock,
    http,
    ws: streams,
    metrics,
    log,
    // One attempt per request: the loader's own back-off is what is tested.
    settings: testStageSettings({ binanceApiUrl: baseUrl, binanceWsUrl: 'ws://streams.test', exchangeMaxAttempts: 1 }),
  };
  await bus.ensureTopics([{ name: command.kafka_topic }, { name: 'queue-control' }, { name: 'queue-events' }]);
  const telemetry: TelemetryEvent[] = [];
  const events = await recordTelemetry(bus, 'queue-events', telemetry);
  host.spawn({ name: 'loader', actorType: 'loader', create: (ctx) => new LiveLoader(deps, command, ctx) });
  return {
    queueId,
    store,
    metrics,
    log,
    streams,
    telemetry,
    close: async () => {
      await events.close();
      await host.shutdown();
      await bus.close();
      await store.close();
    },
  };
}

/** True once `check` holds, after the timers due now have fired (the stream connects on one): for `waitFor`. */
async function whenIdle(clock: FakeClock, check: () => boolean): Promise<true | undefined> {
  await clock.runUntilIdle();
  return check() ? true : undefined;
}

async function rejectedLiveEvents(metrics: PromMetrics): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString('streamforge_messages_rejected_total');
  return Number(/reason="live_event"\} (\d+)/.exec(text)?.[1] ?? 0);
}

function aggTradeEvent(symbol: string, t: AggTradeRow): unknown {
  return { e: 'aggTrade', E: t.T + 2, s: symbol, ...t };
}

function openKline(symbol: string, openMs: number): unknown {
  const k = { t: openMs, T: openMs + 59_999, s: symbol, i: '1m', f: 1, L: 2, o: '1', c: '2', h: '3', l: '0.5', v: '10', n: 2, x: false, q: '15', V: '5', Q: '7', B: '0' };
  return { e: 'kline', E: openMs + 1_000, s: symbol, k };
}

describe('LiveLoader', () => {
  let sim: ExchangeSimulator;
  let undici: UndiciHttpClient;
  before(async () => {
    sim = await startExchangeSimulator({});
    undici = new UndiciHttpClient();
  });
  after(async () => {
    await undici?.close();
    await sim?.close();
  });

  it('counts each live event that fails its schema and logs them at most every 10 s with how many; an open candle is no reject', async () => {
    const clock = new FakeClock(Date.now());
    const now = clock.now();
    const run = await startLoader(sim.url, undici, 'ws_candles_1m', 'BTCUSDT', { fromMs: now - 600_000, toMs: now + 3_600_000 }, clock);
    const stream = 'btcusdt@kline_1m';
    try {
      await waitFor('the live stream', () => whenIdle(clock, () => run.streams.carries(stream)), 10_000);
      run.streams.emit(stream, openKline('BTCUSDT', now - (now % 60_000)));
      for (let i = 0; i < 3; i++) run.streams.emit(stream, { e: 'kline', E: now, s: 'BTCUSDT', k: { t: 'soon', x: true } });
      await waitFor('three rejects counted', async () => ((await rejectedLiveEvents(run.metrics)) === 3 ? true : undefined), 5_000);
      const first = run.log.said('live events rejected');
      assert.equal(first.length, 1, 'logged once');
      assert.equal(first[0]?.level, 'warn');
      assert.equal(first[0]?.obj.rejected, 1);
      assert.match(String(first[0]?.obj.issue), /^k\.t: /);

      await clock.advance(10_000);
      run.streams.emit(stream, { e: 'kline' });
      await waitFor('the fourth reject counted', async () => ((await rejectedLiveEvents(run.metrics)) === 4 ? true : undefined), 5_000);
      const logged = run.log.said('live events rejected');
      assert.equal(logged.length, 2, 'logged again after 10 s');
      assert.equal(logged[1]?.obj.rejected, 3, 'the two held back and this one');
    } finally {
      await run.close();
    }
  });

  it('keeps waiting out a REST failure however busy the stream, holding its events, then goes on with them', async () => {
    const http = new SwitchableHttp(undici);
    http.failing = true;
    const clock = new FakeClock(Date.now());
    const fromMs = clock.now() - 2_000;
    const run = await startLoader(sim.url, http, 'ws_aggtrades', 'BTCUSDT', { fromMs, toMs: fromMs + 60_000 }, clock);
    const stream = 'btcusdt@aggTrade';
    try {
      await waitFor('the live stream and a failed REST request', () => whenIdle(clock, () => run.streams.carries(stream) && http.aggTradesRequests > 0), 10_000);
      const trades = expectedAggTrades('BTCUSDT', fromMs, Date.now());
      assert.ok(trades.length > 0);
      // Batches of live events well past what makes a step due at once, for 1.5 s.
      for (let batch = 0, sent = 0; batch < 30; batch++) {
        for (let i = 0; i < 100; i++, sent++) run.streams.emit(stream, aggTradeEvent('BTCUSDT', trades[sent % trades.length] as AggTradeRow));
        await clock.advance(50);
      }
      assert.equal(http.aggTradesRequests, 1, 'REST is not asked again before its retry delay');
      assert.ok(run.log.said('live loader REST request failed; retrying').length === 1);

      http.failing = false;
      // To the retry, 5 s after the failure.
      await clock.advance(3_500);
      await waitFor('records after the retry', () => whenIdle(clock, () => run.telemetry.some((e) => (e.records_written ?? 0) > 0)), 10_000);
    } finally {
      await run.close();
    }
  });
});

describe('LiveLoader against an exchange that does not serve a gap', () => {
  /** The exchange's clock stands still: trades after it are never served over REST. */
  const exchangeNow = Date.now() - 1_000;
  let sim: ExchangeSimulator;
  let undici: UndiciHttpClient;
  before(async () => {
    sim = await startExchangeSimulator({ nowMs: () => exchangeNow });
    undici = new UndiciHttpClient();
  });
  after(async () => {
    await undici?.close();
    await sim?.close();
  });

  it('goes on past it after its retries, counting what it holds in the cursor and the telemetry, with an error naming it', async () => {
    const fromMs = exchangeNow - 5_000;
    const clock = new FakeClock(exchangeNow);
    const run = await startLoader(sim.url, undici, 'ws_aggtrades', 'BTCUSDT', { fromMs, toMs: fromMs + 3_600_000 }, clock);
    const stream = 'btcusdt@aggTrade';
    try {
      const newest = expectedAggTrades('BTCUSDT', fromMs, exchangeNow + 1, { nowMs: exchangeNow }).at(-1);
      assert.ok(newest);
      // Steps come on the clock's timers; REST answers in real time in between.
      const within = { horizonMs: 1_000, idleMs: 10_000 };
      await clock.advanceUntil('the backfill', async () => ((await loadLiveCursor(run.store, run.queueId, 0)).last_key === newest.a ? true : undefined), within);
      await clock.advanceUntil('the live stream', () => (run.streams.carries(stream) ? true : undefined), within);
      const ahead = { ...newest, a: newest.a + 100, T: exchangeNow + 10 };
      run.streams.emit(stream, aggTradeEvent('BTCUSDT', ahead));

      // Each fruitless fill waits its backoff on the clock.
      const event = await clock.advanceUntil('telemetry with the gap', () => run.telemetry.find((e) => e.unrepaired_gaps === 1), { ...within, idleMs: 15_000 });
      assert.equal(event.unrepaired_records, 99);
      const cursor = await loadLiveCursor(run.store, run.queueId, 0);
      assert.equal(cursor.unrepaired_gaps, 1);
      assert.equal(cursor.unrepaired_records, 99);
      assert.equal(cursor.last_key, ahead.a, 'the live event after the gap was handed on');
      const [logged] = run.log.said('live stream gap not served over REST; going on without it');
      assert.equal(logged?.level, 'error');
      assert.equal(logged.obj.after_key, newest.a);
      assert.equal(logged.obj.until_key, ahead.a);
      assert.equal(logged.obj.records, 99);
    } finally {
      await run.close();
    }
  });
});
