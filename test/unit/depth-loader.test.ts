import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { BusError, DEPTH_SERIES, DepthRecord, EndOfStream, formatTimeRange, Targets } from '../../src/protocol/index.ts';
import type { DepthSnapshotBody, PriceLevel, StartCommand, TelemetryEvent } from '../../src/protocol/index.ts';
import { DepthLoader } from '../../src/actors/index.ts';
import type {
  ActorContext,
  Bus,
  Clock,
  DepthLoaderMessage,
  HttpClient,
  HttpResponse,
  Logger,
  OrderBookView,
  OutgoingMessage,
  PartitionLag,
  StageDeps,
  Store,
  SubscribeOptions,
  Subscription,
  TopicSpec,
  WebSocketConnection,
  WebSocketConnector,
  WebSocketHandlers,
} from '../../src/actors/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { PromMetrics } from '../../src/system/observability/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { storeFailingOnUpsert } from '../helpers/faulty-ports.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { FakeClock, turn } from '../helpers/fake-clock.ts';
import { testStageSettings } from '../helpers/stage-settings.ts';

const SYMBOL = 'BTCUSDT';
const STREAM = 'btcusdt@depth@100ms';
const T0 = 1_700_000_000_000;
const RANGE_MS = 60_000;
const TO = T0 + RANGE_MS;
const INTERVAL_MS = 1000;
const CURSORS = 'loader_cursors';


function reply(status: number, body: unknown): HttpResponse {
  return { status, headers: {}, body: JSON.stringify(body) };
}

/** The REST endpoints the loader uses; `/api/v3/depth` answers with what the test sets. */
class FakeRest implements HttpClient {
  depthRequests = 0;
  depth: () => HttpResponse = () => reply(503, { code: -1, msg: 'no book yet' });
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get(url: string): Promise<HttpResponse> {
    const path = new URL(url).pathname;
    switch (path) {
      case '/api/v3/exchangeInfo':
        return Promise.resolve(
          reply(200, { rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }], symbols: [{ symbol: SYMBOL, status: 'TRADING' }] }),
        );
      case '/api/v3/time':
        return Promise.resolve(reply(200, { serverTime: this.#clock.now() }));
      case '/api/v3/depth':
        this.depthRequests++;
        return Promise.resolve(this.depth());
      default:
        return Promise.resolve(reply(404, { code: -1, msg: path }));
    }
  }

  getBytes(): never {
    throw new Error('no archive here');
  }
}

/** One scripted WebSocket: the test opens it, sends events on it and drops it. */
class FakeSocket implements WebSocketConnection {
  readonly #handlers: WebSocketHandlers;
  #closed = false;

  constructor(handlers: WebSocketHandlers) {
    this.#handlers = handlers;
  }

  open(): void {
    this.#handlers.onOpen();
  }

  event(data: unknown): void {
    if (!this.#closed) this.#handlers.onMessage(JSON.stringify({ stream: STREAM, data }));
  }

  /** The server goes away without a close frame. */
  drop(): void {
    this.#end(1006);
  }

  send(): void {}

  close(code = 1000): void {
    queueMicrotask(() => this.#end(code));
  }

  terminate(): void {
    queueMicrotask(() => this.#end(1006));
  }

  #end(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.onClose(code, '');
  }
}

class FakeStreams implements WebSocketConnector {
  readonly sockets: FakeSocket[] = [];

  connect(_url: string, handlers: WebSocketHandlers): WebSocketConnection {
    const socket = new FakeSocket(handlers);
    this.sockets.push(socket);
    return socket;
  }
}

interface Produced {
  readonly topic: string;
  readonly value: unknown;
}

type ProduceFault = 'none' | 'before_write' | 'after_write';

/** The embedded bus, with every produce recorded in call order, and a produce that fails when told to. */
class RecordingBus implements Bus {
  readonly kind = 'embedded' as const;
  readonly produced: Produced[] = [];
  /** Applies to the next produce to a data topic, then resets. */
  fault: ProduceFault = 'none';
  readonly #inner: EmbeddedBus;

  constructor(inner: EmbeddedBus) {
    this.#inner = inner;
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return this.#inner.ensureTopics(topics);
  }

  async produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const fault = topic.endsWith('-data') ? this.fault : 'none';
    if (fault !== 'none') this.fault = 'none';
    if (fault === 'before_write') throw new BusError('injected: produce failed');
    await this.#inner.produce(topic, messages);
    for (const m of messages) this.produced.push({ topic, value: JSON.parse(m.value) as unknown });
    // A timeout after the broker took the batch: the producer cannot tell.
    if (fault === 'after_write') throw new BusError('injected: produce timed out after the write');
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.#inner.subscribe(options);
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.#inner.deleteTopics(topics);
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return this.#inner.deleteGroups(groupIds);
  }

  lag(): Promise<readonly PartitionLag[]> {
    return this.#inner.lag();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** The actor's mailbox as a queue the test drains: every message the loader tells itself waits there. */
class TestContext implements ActorContext<DepthLoaderMessage> {
  readonly mailbox: DepthLoaderMessage[] = [];
  readonly log: Logger;
  stopped = false;
  readonly self = {
    path: 'test/loader',
    tell: (message: DepthLoaderMessage): void => {
      if (!this.stopped) this.mailbox.push(message);
    },
  };

  constructor(log: Logger) {
    this.log = log;
  }

  spawn(): never {
    throw new Error('the depth loader spawns no actors');
  }

  stop(): void {}

  stopSelf(): void {
    this.stopped = true;
  }

  fail(error: unknown): void {
    throw new Error('the depth loader failed outside a message', { cause: error });
  }
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

const WARN = 40;

/** One exchange, bus and store; loaders (a first run, relaunches) come and go on it. */
class Rig {
  /** Time the test moves: timers and sleeps fire, in order, as it passes their deadline. */
  readonly clock = new FakeClock(T0, { sleeps: 'timer' });
  readonly rest = new FakeRest(this.clock);
  readonly embeddedBus = new EmbeddedBus({ dataDir: ':memory:', pollIntervalMs: 10 });
  readonly bus = new RecordingBus(this.embeddedBus);
  readonly embeddedStore = new EmbeddedStore(':memory:');
  readonly runs: Run[] = [];
  readonly logs: LogLine[] = [];
  readonly log: Logger = pino(
    { level: 'debug' },
    new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.logs.push(JSON.parse(chunk.toString()) as LogLine);
        done();
      },
    }),
  );
  readonly command: StartCommand = {
    command: 'start',
    queue_id: 'wf-btcusdt-ws_depth-test',
    target: Targets.loader,
    symbol: SYMBOL,
    type: 'ws_depth',
    time_range: formatTimeRange({ fromMs: T0, toMs: TO }),
    kafka_topic: 'wf-btcusdt-ws_depth-test-data',
    collection_name: 'btcusdt_ws_depth_test',
    telemetry_id: 'loader-producer__test',
    timestamp: T0 / 1000,
  };

  async open(): Promise<void> {
    await this.embeddedBus.ensureTopics([{ name: this.command.kafka_topic }, { name: 'queue-control' }, { name: 'queue-events' }]);
  }

  /** A loader incarnation on a fresh WebSocket connector (a relaunched process has its own). */
  run(options: { store?: Store; maxQueuedEvents?: number } = {}): Run {
    const streams = new FakeStreams();
    const deps: StageDeps = {
      bus: this.bus,
      store: options.store ?? this.embeddedStore,
      clock: this.clock,
      http: this.rest,
      ws: streams,
      metrics: new PromMetrics({ defaults: false }),
      log: this.log,
      settings: {
        controlTopic: 'queue-control',
        eventsTopic: 'queue-events',
        binanceApiUrl: 'http://exchange.test',
        binanceWsUrl: 'ws://exchange.test',
        binanceArchiveUrl: 'http://exchange.test',
        wsStaleMs: 2_000_000_000,
        wsRotateMs: 2_000_000_000,
        bookSnapshotIntervalMs: INTERVAL_MS,
        bookTopLevels: 5,
        // A lost stream reconnects at once: the test moves time only where it means to.
        retry: { ...testStageSettings({ exchangeMaxAttempts: 1 }).retry, streamReconnect: { baseMs: 0, capMs: 0, jitter: 'none' } },
        exchangeWeightTarget: 0.97,
        connectorBatchSize: 1000,
        progressIntervalMs: 0,
      },
    };
    const ctx = new TestContext(this.log);
    const loader = new DepthLoader(deps, this.command, ctx, options.maxQueuedEvents !== undefined ? { maxQueuedEvents: options.maxQueuedEvents } : {});
    const run = new Run(this, loader, ctx, streams, loader.book);
    this.runs.push(run);
    return run;
  }

  /** Data records produced, in order, duplicates included. */
  records(): DepthRecord[] {
    return this.bus.produced.filter((p) => p.topic === this.command.kafka_topic && !EndOfStream.safeParse(p.value).success).map((p) => DepthRecord.parse(p.value));
  }

  markers(): EndOfStream[] {
    return this.bus.produced.filter((p) => p.topic === this.command.kafka_topic).flatMap((p) => EndOfStream.safeParse(p.value).data ?? []);
  }

  telemetry(): TelemetryEvent[] {
    return this.bus.produced.filter((p) => p.topic === 'queue-events').map((p) => p.value as TelemetryEvent);
  }

  /** The keys the connector would store, each once: what the end marker must count. */
  distinctKeys(): Set<string> {
    return new Set(this.records().filter((r) => r.event_time >= T0 && r.event_time < TO).map((r) => DEPTH_SERIES.key(r)));
  }

  warnings(msg: string): LogLine[] {
    return this.logs.filter((l) => l.level === WARN && l.msg === msg);
  }

  async close(): Promise<void> {
    for (const run of this.runs) await run.dispose();
    await this.embeddedBus.close();
    await this.embeddedStore.close();
  }
}

class Run {
  readonly rig: Rig;
  readonly loader: DepthLoader;
  readonly ctx: TestContext;
  readonly streams: FakeStreams;
  readonly book: OrderBookView;
  #disposed = false;

  constructor(rig: Rig, loader: DepthLoader, ctx: TestContext, streams: FakeStreams, book: OrderBookView) {
    this.rig = rig;
    this.loader = loader;
    this.ctx = ctx;
    this.streams = streams;
    this.book = book;
  }

  /** `start`, then the stream's first socket opened: the loader is live. */
  async start(): Promise<FakeSocket> {
    await this.loader.start();
    return this.connect(1);
  }

  /** Waits for the `n`th socket, opens it, and lets the loader hear that it is live. */
  async connect(n: number): Promise<FakeSocket> {
    // Reconnects wait no backoff here (see the settings): the timers due now open the socket.
    const socket = await waitFor(`socket ${n}`, async () => {
      await this.rig.clock.runUntilIdle();
      return this.streams.sockets[n - 1];
    }, 5_000);
    socket.open();
    await this.drain();
    return socket;
  }

  /** Handles every message in the mailbox, and those that snapshot fetches and timers add meanwhile. */
  async drain(): Promise<void> {
    for (let idle = 0; idle < 3; ) {
      const message = this.ctx.mailbox.shift();
      if (message === undefined) {
        idle++;
        await turn();
        continue;
      }
      idle = 0;
      await this.loader.receive(message);
    }
  }

  /** Lets time pass, handling what it brings (ticks, delayed fetches). */
  async wait(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 200) {
      await this.rig.clock.advance(Math.min(200, left));
      await this.drain();
    }
  }

  /** To the end of the range and past its grace: the loader produces its end marker. */
  async runToEnd(): Promise<EndOfStream> {
    await this.wait(TO + 2_500 - this.rig.clock.now());
    const marker = this.rig.markers().at(-1);
    assert.ok(marker, 'an end marker');
    assert.ok(this.ctx.stopped, 'the loader stopped itself');
    return marker;
  }

  /** Delivers a message the way the actor host does: a throw is a crash, after which the incarnation is disposed. */
  async crashOnDrain(): Promise<unknown> {
    try {
      await this.drain();
    } catch (err) {
      await this.dispose();
      return err;
    }
    return undefined;
  }

  /** What the actor host does when the incarnation ends (a stop, a crash, a kill). */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.loader.dispose();
  }
}

function depthEvent(U: number, u: number, E: number, bids: PriceLevel[] = [], asks: PriceLevel[] = []) {
  return { e: 'depthUpdate', E, s: SYMBOL, U, u, b: bids, a: asks };
}

function book(lastUpdateId: number): DepthSnapshotBody {
  return { lastUpdateId, bids: [['100.0', '1'], ['99.0', '2']], asks: [['101.0', '1'], ['102.0', '2']] };
}

describe('DepthLoader', () => {
  const rigs: Rig[] = [];
  async function rig(): Promise<Rig> {
    const r = new Rig();
    await r.open();
    rigs.push(r);
    return r;
  }
  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.close();
  });

  it('stores a quiet book that resyncs at the same update id under each key once, and counts each once', async () => {
    const r = await rig();
    const run = r.run();
    const first = await run.start();
    r.rest.depth = () => reply(200, book(500));
    first.event(depthEvent(500, 500, r.clock.now()));
    await run.drain();
    assert.equal(run.book.lastUpdateId, 500);
    await run.wait(INTERVAL_MS);

    first.drop();
    const second = await run.connect(2);
    // The new connection starts with the event the book already had: nothing moved.
    second.event(depthEvent(500, 500, r.clock.now()));
    await run.drain();
    assert.equal(run.book.lastUpdateId, 500, 'resynced at the same update id');
    await run.wait(3 * INTERVAL_MS);

    const marker = await run.runToEnd();
    const keys = r.distinctKeys();
    assert.deepEqual([...keys].sort(), ['BTCUSDT_s500_initial', 'BTCUSDT_s500_periodic', 'BTCUSDT_s500_resync', 'BTCUSDT_u500']);
    assert.equal(r.records().length, keys.size, 'no record produced twice');
    assert.equal(marker.records, keys.size, 'the end marker counts distinct keys');
    assert.equal(r.telemetry().at(-1)?.resyncs, 1);
  });

  it('fetches a snapshot again after a retriable failure instead of failing, and fails on any other error', async () => {
    const r = await rig();
    const run = r.run();
    const socket = await run.start();
    r.rest.depth = () => reply(503, { code: -1, msg: 'busy' });
    socket.event(depthEvent(500, 500, r.clock.now()));
    await run.drain();
    assert.equal(r.rest.depthRequests, 1);
    assert.equal(run.ctx.stopped, false, 'a 503 does not fail the stage');
    assert.equal(r.telemetry().filter((e) => e.status === 'error').length, 0);
    const [warned] = r.warnings('depth snapshot failed; fetching another later');
    const firstDelay = Number(warned?.['delay_ms']);
    assert.ok(firstDelay >= 2_500 && firstDelay <= 5_000, `a first backoff of at most 5 s: ${firstDelay}`);

    // Events go on being stored meanwhile, and do not hurry the next fetch.
    socket.event(depthEvent(501, 501, r.clock.now()));
    await run.wait(2_000);
    assert.equal(r.rest.depthRequests, 1, 'nothing asked before the backoff');
    await run.wait(firstDelay - 2_000);
    assert.equal(r.rest.depthRequests, 2);
    const second = Number(r.warnings('depth snapshot failed; fetching another later')[1]?.['delay_ms']);
    assert.ok(second >= 5_000 && second <= 10_000, `the backoff doubles: ${second}`);

    r.rest.depth = () => reply(200, book(501));
    await run.wait(second);
    assert.equal(r.rest.depthRequests, 3);
    assert.equal(run.book.lastUpdateId, 501, 'synced once the exchange answered');

    // A book discarded later fetches at once again: the run of failures ended.
    r.rest.depth = () => reply(400, { code: -1100, msg: 'Illegal characters found in parameter' });
    socket.event(depthEvent(510, 510, r.clock.now()));
    await run.drain();
    assert.equal(r.rest.depthRequests, 4);
    assert.ok(run.ctx.stopped, 'a rejected request fails the stage');
    const error = r.telemetry().find((e) => e.status === 'error');
    assert.equal(error?.error?.code, 'SF_ERR_EXCHANGE_BAD_REQUEST');
  });

  it('bounds the events waiting in its mailbox, then rebuilds the book from the events after the drop', async () => {
    const r = await rig();
    const run = r.run({ maxQueuedEvents: 50 });
    const socket = await run.start();
    r.rest.depth = () => reply(200, book(500));
    socket.event(depthEvent(500, 500, r.clock.now()));
    await run.drain();
    assert.equal(run.book.lastUpdateId, 500);

    // The loader is busy (a slow bus) while 120 events arrive.
    for (let u = 501; u <= 620; u++) socket.event(depthEvent(u, u, r.clock.now(), [['100.0', String(u)]]));
    const waiting = run.ctx.mailbox.filter((m) => m.type === 'event').length;
    assert.equal(waiting, 50, 'no more events queued than the bound');
    assert.equal(run.ctx.mailbox.length, 51, 'the events and one overflow');
    await run.drain();
    assert.equal(run.book.synced, false, 'the book that missed events was discarded');
    const [resync] = r.warnings('order book out of sync: resyncing');
    assert.equal(resync?.['cause'], 'backlog');
    assert.equal(resync?.['dropped_events'], 70);

    r.rest.depth = () => reply(200, { ...book(622), bids: [['100.0', '622']] });
    for (let u = 621; u <= 625; u++) socket.event(depthEvent(u, u, r.clock.now(), [['100.0', String(u)]]));
    await run.drain();
    assert.equal(run.book.lastUpdateId, 625, 'synced again on the events after the drop');
    assert.deepEqual(run.book.top(1)?.bids, [['100.0', '625']]);

    const marker = await run.runToEnd();
    const updates = r.records().flatMap((x) => (x.record === 'depth_update' ? [x.final_update_id] : []));
    assert.deepEqual(updates, [500, ...range(501, 550), ...range(621, 625)], 'what was queued is stored, what was dropped is not');
    const resyncSnapshot = r.records().find((x) => x.record === 'book_snapshot' && x.reason === 'resync');
    assert.equal(resyncSnapshot?.record === 'book_snapshot' ? resyncSnapshot.last_update_id : -1, 625);
    assert.equal(marker.records, r.distinctKeys().size);
    assert.equal(r.telemetry().at(-1)?.resyncs, 1);
  });

  describe('relaunched (count exact and stable)', () => {
    /** A first run synced at 500 that produced events 501..510 (and its snapshots). */
    async function firstRun(r: Rig, store?: Store): Promise<{ run: Run; socket: FakeSocket }> {
      const run = r.run(store ? { store } : {});
      const socket = await run.start();
      r.rest.depth = () => reply(200, book(500));
      socket.event(depthEvent(500, 500, r.clock.now()));
      await run.drain();
      for (let u = 501; u <= 510; u++) socket.event(depthEvent(u, u, r.clock.now()));
      await run.drain();
      return { run, socket };
    }

    /**
     * A relaunch, to the end of the range. Its stream replays 505..510 (an overlap), then goes on at 513:
     * what happened in between (511, 512) nobody heard, so nothing but the cursor can count it.
     */
    async function relaunch(r: Rig): Promise<EndOfStream> {
      const run = r.run();
      const socket = await run.start();
      r.rest.depth = () => reply(200, book(512));
      for (const u of [...range(505, 510), ...range(513, 515)]) socket.event(depthEvent(u, u, r.clock.now()));
      await run.drain();
      assert.equal(run.book.lastUpdateId, 515);
      await run.wait(2 * INTERVAL_MS);
      return run.runToEnd();
    }

    function assertExactCount(r: Rig, marker: EndOfStream, updates: readonly number[]): void {
      const keys = r.distinctKeys();
      assert.equal(marker.records, keys.size, `the end marker counts ${marker.records}; the store holds ${keys.size} distinct records`);
      assert.deepEqual([...keys].filter((k) => k.includes('_u')).sort(), updates.map((u) => `${SYMBOL}_u${u}`).sort());
    }

    it('counts a batch produced just before a crash that kept its count from being saved', async () => {
      const r = await rig();
      const cursorSaves = storeFailingOnUpsert(r.embeddedStore, (c) => c === CURSORS, new Set([4]));
      const { run, socket } = await firstRun(r, cursorSaves);
      socket.event(depthEvent(511, 511, r.clock.now()));
      socket.event(depthEvent(512, 512, r.clock.now()));
      const crash = await run.crashOnDrain();
      assert.match(String(crash), /injected crash on upsert/);
      // 511 and 512 never reached the topic: saving their batch in flight was what failed.
      assertExactCount(r, await relaunch(r), [...range(500, 510), ...range(513, 515)]);
    });

    it('counts a batch once whether or not the produce that crashed had written it', async () => {
      for (const fault of ['before_write', 'after_write'] as const) {
        const r = await rig();
        const { run, socket } = await firstRun(r);
        r.bus.fault = fault;
        socket.event(depthEvent(511, 511, r.clock.now()));
        const crash = await run.crashOnDrain();
        assert.match(String(crash), /injected: produce/, fault);
        // Written or not, 511 is produced (again) by the relaunch, and counted once.
        assertExactCount(r, await relaunch(r), [...range(500, 511), ...range(513, 515)]);
      }
    });

    it('produces nothing again that a relaunch sees again but the batch it cannot know was produced, and stores its first sync as a resync', async () => {
      const r = await rig();
      const { run } = await firstRun(r);
      // Killed: the count of its last batch was not saved yet.
      await run.dispose();
      const before = r.records().length;
      const marker = await relaunch(r);
      assertExactCount(r, marker, [...range(500, 510), ...range(513, 515)]);
      const relaunched = r.records().slice(before).flatMap((x) => (x.record === 'depth_update' ? [x.final_update_id] : []));
      assert.deepEqual(relaunched, [...range(501, 510), ...range(513, 515)], 'the batch in flight once more (same keys), then only what is new');
      const reasons = r.records().flatMap((x) => (x.record === 'book_snapshot' ? [x.reason] : []));
      assert.deepEqual(reasons.filter((x) => x !== 'periodic'), ['initial', 'resync']);
    });

    it('says its final count on the events topic before the end marker, and the same count again when relaunched after the end', async () => {
      const r = await rig();
      const run = r.run();
      const socket = await run.start();
      r.rest.depth = () => reply(200, book(500));
      socket.event(depthEvent(500, 500, r.clock.now()));
      await run.drain();
      await run.wait(TO - 100 - r.clock.now());
      // The last event in the range is stored after the last progress report; the next one ends the range.
      socket.event(depthEvent(501, 501, TO - 1));
      socket.event(depthEvent(502, 502, TO));
      const marker = await run.runToEnd();
      const markerAt = r.bus.produced.findIndex((p) => EndOfStream.safeParse(p.value).success);
      const lastCount = r.bus.produced
        .slice(0, markerAt)
        .filter((p) => p.topic === 'queue-events')
        .map((p) => (p.value as TelemetryEvent).records_written)
        .filter((n) => n !== undefined)
        .at(-1);
      assert.equal(lastCount, marker.records, 'the count the connector will report is known before it can report it');
      assert.equal(marker.records, r.distinctKeys().size);

      await run.dispose();
      const again = r.run();
      await again.loader.start();
      assert.equal(r.markers().at(-1)?.records, marker.records, 'a relaunch after the end says the same count');
      assert.equal(r.telemetry().at(-1)?.records_written, marker.records);
    });
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
