import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Metrics, WebSocketConnection, WebSocketConnector } from '../../src/actors/ports/index.ts';
import { SlidingWindowLimit } from '../../src/actors/live/sliding-window-limit.ts';
import { StreamConnection } from '../../src/actors/live/stream-connection.ts';
import type { StreamConnectionListener, StreamConnectionOptions } from '../../src/actors/live/stream-connection.ts';
import { StreamHub } from '../../src/actors/live/stream-hub.ts';
import { WsWebSocketConnector } from '../../src/system/exchange/ws-websocket-connector.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import type { AdvanceUntilOptions } from '../helpers/fake-clock.ts';
import { defaultPolicies } from '../helpers/stage-settings.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** A socket the test server accepted, with what it was asked for. */
interface ServerSocket {
  readonly ws: WebSocket;
  readonly openedAt: number;
  readonly streams: Set<string>;
  readonly messages: Array<{ at: number; text: string }>;
  /** Events the ticker sent it. */
  sent: number;
  /** Pongs it got back. */
  pongs: number;
  closedAt?: number;
}

/**
 * A tiny combined-stream server: `/stream?streams=a/b`, SUBSCRIBE/UNSUBSCRIBE answered, and a ticker
 * that sends the same numbered event to every socket carrying `tick@trade` (the exchange's fan-out).
 * Times it records are the test's fake clock's: what the connection under test sees as now.
 */
class TinyStreamServer {
  readonly #clock: FakeClock;
  readonly wss: WebSocketServer;
  readonly sockets: ServerSocket[] = [];
  refuse = 0;
  /** SUBSCRIBEs naming one of these are refused whole, as the exchange does, this many more times. */
  readonly refuseStreams = new Map<string, number>();
  attempts: number[] = [];
  #seq = 0;
  #ticker: NodeJS.Timeout | undefined;

  constructor(clock: FakeClock) {
    this.#clock = clock;
    this.wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info, done) => {
        this.attempts.push(this.#clock.now());
        if (this.refuse > 0) {
          this.refuse--;
          done(false, 503);
        } else done(true);
      },
    });
    this.wss.on('connection', (ws, req) => {
      const url = new URL(req.url ?? '/', 'ws://x');
      const socket: ServerSocket = { ws, openedAt: this.#clock.now(), streams: new Set((url.searchParams.get('streams') ?? '').split('/').filter(Boolean)), messages: [], sent: 0, pongs: 0 };
      this.sockets.push(socket);
      ws.on('message', (raw: Buffer) => {
        const text = raw.toString('utf8');
        socket.messages.push({ at: this.#clock.now(), text });
        const req = JSON.parse(text) as { method: string; params: string[]; id: number };
        const bad = req.method === 'SUBSCRIBE' ? req.params.find((p) => (this.refuseStreams.get(p) ?? 0) > 0) : undefined;
        if (bad !== undefined) {
          this.refuseStreams.set(bad, (this.refuseStreams.get(bad) ?? 0) - 1);
          ws.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: invalid symbol in stream name '${bad}'` }, id: req.id }));
          return;
        }
        for (const p of req.params) {
          if (req.method === 'SUBSCRIBE') socket.streams.add(p);
          else socket.streams.delete(p);
        }
        ws.send(JSON.stringify({ result: null, id: req.id }));
      });
      ws.on('pong', () => socket.pongs++);
      ws.on('close', () => (socket.closedAt = this.#clock.now()));
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  open(): ServerSocket[] {
    return this.sockets.filter((s) => s.closedAt === undefined);
  }

  /** The exchange's traffic, in real time: it goes on whatever the connection's clock says. */
  startTicker(everyMs: number): void {
    this.#ticker = setInterval(() => {
      const n = this.#seq++;
      for (const s of this.open()) {
        if (!s.streams.has('tick@trade')) continue;
        s.ws.send(JSON.stringify({ stream: 'tick@trade', data: { e: 'trade', t: n } }));
        s.sent++;
      }
    }, everyMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#ticker);
    for (const s of this.sockets) s.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

class RecordingMetrics implements Metrics {
  readonly reconnects: string[] = [];
  recordsWritten(): void {}
  recordsFetched(): void {}
  exchangeRequest(): void {}
  exchangeWeightUsedRatio(): void {}
  actorRestarted(): void {}
  messageRejected(): void {}
  deadLettered(): void {}
  streamReconnected(reason: string): void {
    this.reconnects.push(reason);
  }
  streamRepaired(): void {}
  bookResynced(): void {}
  liveEventLatency(): void {}
  archiveFile(): void {}
}

interface Recorder {
  readonly ids: number[];
  readonly log: string[];
}

function recorder(): Recorder & StreamConnectionListener {
  const ids: number[] = [];
  const log: string[] = [];
  return {
    ids,
    log,
    onEvent: (_stream, data) => ids.push((data as { t: number }).t),
    onDown: (reason) => log.push(`down:${reason}`),
    onUp: () => log.push('up'),
    onStreamsDown: (streams, reason) => log.push(`streams-down:${streams.join(',')}:${reason}`),
    onStreamsUp: (streams) => log.push(`streams-up:${streams.join(',')}`),
  };
}

/** Events in order, duplicates of the overlap dropped, must be consecutive. */
function assertNoGap(ids: readonly number[]): void {
  let last: number | undefined;
  for (const id of ids) {
    if (last !== undefined && id <= last) continue;
    if (last !== undefined) assert.equal(id, last + 1, `event ${last + 1} missing (got ${id})`);
    last = id;
  }
}

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** What one connection sent, with the fake time it was sent at: pacing is the client's doing. */
type SentLog = Array<{ readonly at: number; readonly text: string }>;

/** `inner` with what each of its connections sends recorded at the clock's time, one log per connection in the order opened. */
function recordingSends(inner: WebSocketConnector, clock: FakeClock, logs: SentLog[]): WebSocketConnector {
  return {
    connect: (url, handlers): WebSocketConnection => {
      const sent: SentLog = [];
      logs.push(sent);
      const conn = inner.connect(url, handlers);
      return {
        send: (text) => {
          sent.push({ at: clock.now(), text });
          conn.send(text);
        },
        close: (code, reason) => conn.close(code, reason),
        terminate: () => conn.terminate(),
      };
    },
  };
}

/** Where the fake clocks start. */
const T0 = 1_700_000_000_000;

/**
 * Waits for `probe` while the server answers in real time; meanwhile the connection's timers due within
 * a second fire as their fake time comes (farther ones, the stale check and the handover grace, wait).
 */
function until<T>(clock: FakeClock, what: string, probe: () => T | undefined, options: AdvanceUntilOptions = {}): Promise<T> {
  return clock.advanceUntil(what, probe, { horizonMs: 1_000, ...options });
}

describe('stream connection', () => {
  const servers: TinyStreamServer[] = [];
  const connections: Array<{ close(): void }> = [];
  const server = async (clock: FakeClock): Promise<TinyStreamServer> => {
    const s = new TinyStreamServer(clock);
    servers.push(s);
    await new Promise<void>((resolve) => s.wss.once('listening', () => resolve()));
    return s;
  };
  const connect = (clock: FakeClock, srv: TinyStreamServer, rec: ReturnType<typeof recorder>, metrics: Metrics, options: Partial<StreamConnectionOptions> = {}): StreamConnection => {
    const conn = new StreamConnection(
      {
        baseUrl: srv.url,
        connector: new WsWebSocketConnector(),
        clock,
        metrics,
        log: logger,
        reconnect: defaultPolicies.streamReconnect,
        resubscribe: defaultPolicies.streamSubscribe,
        ...options,
      },
      rec,
    );
    connections.push(conn);
    return conn;
  };
  /** The default backoffs from `baseMs` (reconnects and refused streams alike). */
  const backoffFrom = (baseMs: number): Pick<StreamConnectionOptions, 'reconnect' | 'resubscribe'> => ({
    reconnect: { ...defaultPolicies.streamReconnect, baseMs },
    resubscribe: { ...defaultPolicies.streamSubscribe, baseMs },
  });
  afterEach(() => {
    for (const c of connections.splice(0)) c.close();
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('opens one combined stream with the streams in the URL and routes events', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const rec = recorder();
    const conn = connect(clock, srv, rec, new RecordingMetrics());
    conn.add(['tick@trade', 'btcusdt@kline_1m']);
    await until(clock, 'socket', () => srv.open()[0]);
    assert.deepEqual([...(srv.sockets[0]?.streams ?? [])], ['tick@trade', 'btcusdt@kline_1m']);
    srv.startTicker(5);
    await until(clock, 'events', () => (rec.ids.length >= 10 ? true : undefined));
    assert.deepEqual(rec.log, ['up']);
    assertNoGap(rec.ids);
  });

  it('reconnects after a drop with jittered exponential backoff, and says so', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const rec = recorder();
    const metrics = new RecordingMetrics();
    const conn = connect(clock, srv, rec, metrics, { ...backoffFrom(40), random: () => 1 });
    conn.add(['tick@trade']);
    const first = await until(clock, 'first socket', () => srv.open()[0]);
    srv.refuse = 3;
    const droppedAt = clock.now();
    first.ws.terminate();
    await until(clock, 'second socket', () => srv.sockets[1]);
    // random() = 1: the full cap each time, doubling: 40, 80, 160, 320 ms.
    const gaps = srv.attempts.slice(1).map((t, i) => t - (i === 0 ? droppedAt : (srv.attempts[i] ?? 0)));
    assert.equal(gaps.length, 4);
    for (const [i, expected] of [40, 80, 160, 320].entries()) {
      // Timers fire late on a busy machine, never early.
      assert.ok((gaps[i] ?? 0) >= expected - 5 && (gaps[i] ?? 0) < expected + 300, `attempt ${i + 1} after ${gaps[i]} ms, expected ~${expected}`);
    }
    await until(clock, `up again (${rec.log.join()})`, () => (rec.log.length === 3 ? true : undefined), { idleMs: 3_000 });
    assert.equal(rec.log[0], 'up');
    assert.match(rec.log[1] ?? '', /^down:(closed|error)$/);
    assert.equal(rec.log[2], 'up');
    assert.equal(metrics.reconnects.length, 1);
  });

  it('keeps within the connection attempt budget, waiting when it is spent', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const rec = recorder();
    const attempts = new SlidingWindowLimit(2, 1000);
    const conn = connect(clock, srv, rec, new RecordingMetrics(), { attempts, ...backoffFrom(1), random: () => 0 });
    conn.add(['tick@trade']);
    srv.refuse = 4;
    await until(clock, 'a socket after the refusals', () => srv.open()[0], { horizonMs: 2_000 });
    assert.equal(srv.attempts.length, 5);
    for (let i = 2; i < srv.attempts.length; i++) {
      assert.ok((srv.attempts[i] ?? 0) - (srv.attempts[i - 2] ?? 0) >= 995, 'never more than 2 attempts in a second');
    }
  });

  it('rotates with an overlapping socket: no event missed, no disconnect', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const rec = recorder();
    const metrics = new RecordingMetrics();
    const conn = connect(clock, srv, rec, metrics, { rotateMs: 300 });
    conn.add(['tick@trade']);
    srv.startTicker(3);
    await until(clock, 'four rotations', () => (srv.sockets.length >= 5 ? true : undefined));
    const seen = rec.ids.length;
    await until(clock, 'more events', () => (rec.ids.length > seen + 20 ? true : undefined));
    assert.deepEqual(rec.log, ['up']);
    assert.ok(metrics.reconnects.filter((r) => r === 'rotation').length >= 4);
    assertNoGap(rec.ids);
    // Old sockets were closed only after their replacement had opened.
    for (let i = 1; i < 4; i++) {
      const old = srv.sockets[i - 1];
      const next = srv.sockets[i];
      assert.ok(old?.closedAt !== undefined && next !== undefined && old.closedAt >= next.openedAt, `socket ${i - 1} closed before ${i} opened`);
    }
  });

  it('opens a replacement at once on serverShutdown, then lets the old one go', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const rec = recorder();
    const metrics = new RecordingMetrics();
    const conn = connect(clock, srv, rec, metrics);
    conn.add(['tick@trade']);
    srv.startTicker(3);
    const first = await until(clock, 'socket', () => srv.open()[0]);
    await until(clock, 'events', () => (rec.ids.length > 10 ? true : undefined));
    first.ws.send(JSON.stringify({ e: 'serverShutdown', E: clock.now() }));
    const second = await waitFor('replacement', () => srv.sockets[1], 2000);
    assert.equal(first.closedAt, undefined, 'the old socket is still open when the new one connects');
    // The exchange closes the old socket a little later, once the replacement carries events.
    await waitFor('the replacement fed', () => (second.sent > 20 ? true : undefined));
    await clock.advance(300);
    first.ws.close();
    await until(clock, 'old closed', () => first.closedAt);
    const seen = rec.ids.length;
    await until(clock, 'more events', () => (rec.ids.length > seen + 20 ? true : undefined));
    assert.equal(second.closedAt, undefined);
    assert.deepEqual(rec.log, ['up']);
    assert.deepEqual(metrics.reconnects, ['server_shutdown']);
    assertNoGap(rec.ids);
  });

  it('drops a socket that hears nothing (no message, no ping) for staleMs and reconnects', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const rec = recorder();
    const metrics = new RecordingMetrics();
    const conn = connect(clock, srv, rec, metrics, { staleMs: 200, ...backoffFrom(10) });
    conn.add(['quiet@trade']);
    const first = await until(clock, 'socket', () => srv.open()[0]);
    // Pings keep it alive past staleMs: one every 50 ms for 500 ms, each heard (its pong back) before time moves on.
    for (let i = 1; i <= 10; i++) {
      first.ws.ping();
      await waitFor('the pong', () => (first.pongs >= i ? true : undefined));
      await clock.advance(50);
    }
    assert.equal(first.closedAt, undefined, 'pings count as activity');
    await until(clock, 'stale socket dropped', () => first.closedAt, { idleMs: 2_000 });
    await until(clock, 'reconnected', () => srv.open()[0]);
    await until(clock, 'up again', () => (rec.log.length === 3 ? true : undefined));
    assert.deepEqual(rec.log, ['up', 'down:stale', 'up']);
    assert.deepEqual(metrics.reconnects, ['stale']);
  });

  it('paces SUBSCRIBE/UNSUBSCRIBE to at most 5 messages a second and ends up with the right streams', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const rec = recorder();
    const sends: SentLog[] = [];
    const conn = connect(clock, srv, rec, new RecordingMetrics(), { messagesPerSecond: 5, connector: recordingSends(new WsWebSocketConnector(), clock, sends) });
    conn.add(['s0@trade']);
    const socket = await until(clock, 'socket', () => srv.open()[0]);
    const expected = new Set(['s0@trade']);
    for (let i = 1; i <= 40; i++) {
      conn.add([`s${i}@trade`]);
      expected.add(`s${i}@trade`);
      if (i % 3 === 0) {
        conn.remove([`s${i - 1}@trade`]);
        expected.delete(`s${i - 1}@trade`);
      }
      await clock.advance(25);
    }
    await until(clock, 'server has the final set', () => (sameSet(socket.streams, expected) ? true : undefined));
    assert.ok(socket.messages.length >= 6, `paced but not starved: ${socket.messages.length} messages`);
    const sent = sends[0] ?? [];
    assert.equal(sent.length, socket.messages.length, 'the server got what was sent');
    for (const m of sent) {
      const inWindow = sent.filter((o) => o.at >= m.at && o.at < m.at + 1000).length;
      assert.ok(inWindow <= 5, `${inWindow} messages within one second`);
    }
  });

  it('reports a stream the exchange refuses as down, retries it alone with backoff, and gives up after 3 refusals', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const rec = recorder();
    const sends: SentLog[] = [];
    const conn = connect(clock, srv, rec, new RecordingMetrics(), { ...backoffFrom(20), connector: recordingSends(new WsWebSocketConnector(), clock, sends) });
    conn.add(['tick@trade']);
    const socket = await until(clock, 'socket', () => srv.open()[0]);
    await until(clock, 'up', () => (rec.log.includes('up') ? true : undefined));
    srv.refuseStreams.set('nosuch@trade', Number.POSITIVE_INFINITY);
    // Asked in one message with a good stream: the whole message is refused, the good one then retried alone.
    conn.add(['nosuch@trade', 'good@trade']);
    const subscribesOf = (stream: string): number =>
      socket.messages.filter((m) => {
        const req = JSON.parse(m.text) as { method: string; params: string[] };
        return req.method === 'SUBSCRIBE' && req.params.includes(stream);
      }).length;
    await until(clock, 'three refusals', () => (subscribesOf('nosuch@trade') === 3 ? true : undefined), { idleMs: 5_000 });
    await until(clock, 'good stream back', () => (conn.live('good@trade') ? true : undefined), { idleMs: 5_000 });
    // Well past any backoff a fourth request would wait, and every message sent has arrived.
    await clock.advance(1_000);
    await waitFor('what was sent to arrive', () => (socket.messages.length === (sends[0]?.length ?? 0) ? true : undefined));
    assert.equal(subscribesOf('nosuch@trade'), 3, 'not asked again after 3 refusals');
    assert.equal(conn.live('nosuch@trade'), false);
    assert.equal(conn.live('tick@trade'), true);
    assert.ok(conn.up);
    assert.ok(!socket.streams.has('nosuch@trade'));
    const down = rec.log.filter((l) => l.startsWith('streams-down:'));
    assert.equal(down.length, 3);
    assert.match(down[0] ?? '', /^streams-down:nosuch@trade,good@trade:.*invalid symbol in stream name 'nosuch@trade'/);
    assert.ok(rec.log.includes('streams-up:good@trade'));
  });

  it('tells hub subscribers of a refused stream they are disconnected, and live again once it is accepted', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const hub = new StreamHub({ baseUrl: srv.url, connector: new WsWebSocketConnector(), clock, metrics: new RecordingMetrics(), log: logger, ...backoffFrom(20) });
    const log: string[] = [];
    const events = (name: string) => ({
      onEvent: () => {},
      onDisconnect: (r: string) => log.push(`${name}:down:${r}`),
      onLive: () => log.push(`${name}:live`),
    });
    const subA = hub.subscribe(['tick@trade'], events('a'));
    await until(clock, 'a live', () => (log.includes('a:live') ? true : undefined));
    srv.refuseStreams.set('late@trade', 1);
    const subB = hub.subscribe(['late@trade'], events('b'));
    await until(clock, `b live again (${log.join(' | ')})`, () => (log.filter((l) => l === 'b:live').length === 2 ? true : undefined), { idleMs: 5_000 });
    const bLog = log.filter((l) => l.startsWith('b:'));
    assert.equal(bLog.length, 3);
    assert.match(bLog[1] ?? '', /^b:down:.*invalid symbol in stream name 'late@trade'/);
    assert.deepEqual(log.filter((l) => l.startsWith('a:')), ['a:live'], 'subscribers of other streams are not disturbed');
    assert.ok(srv.open()[0]?.streams.has('late@trade'));
    subA.close();
    subB.close();
  });

  it('spreads streams over connections of at most maxStreamsPerConnection and closes them with the last subscriber', async () => {
    const clock = new FakeClock(T0);
    const srv = await server(clock);
    const hub = new StreamHub({
      baseUrl: srv.url,
      connector: new WsWebSocketConnector(),
      clock,
      metrics: new RecordingMetrics(),
      log: logger,
      maxStreamsPerConnection: 3,
      ...backoffFrom(defaultPolicies.streamReconnect.baseMs),
    });
    const a: string[] = [];
    const b: string[] = [];
    const live: string[] = [];
    const subA = hub.subscribe(['tick@trade', 'x1@trade', 'x2@trade', 'x3@trade'], {
      onEvent: (_s, d) => a.push(String((d as { t: number }).t)),
      onDisconnect: (r) => live.push(`a:down:${r}`),
      onLive: () => live.push('a:live'),
    });
    const subB = hub.subscribe(['tick@trade'], {
      onEvent: (_s, d) => b.push(String((d as { t: number }).t)),
      onDisconnect: (r) => live.push(`b:down:${r}`),
      onLive: () => live.push('b:live'),
    });
    await until(clock, 'two sockets', () => (srv.open().length === 2 ? true : undefined));
    assert.equal(srv.open().length, 2, 'two connections');
    assert.equal(srv.open().filter((s) => s.streams.has('tick@trade')).length, 1, 'a shared stream is subscribed once');
    srv.startTicker(5);
    await until(clock, 'both live, both fed', () => (live.length === 2 && a.length > 5 && b.length > 5 ? true : undefined));
    subA.close();
    await until(clock, 'one socket left', () => (srv.open().length === 1 ? true : undefined));
    subB.close();
    await until(clock, 'no socket left', () => (srv.open().length === 0 ? true : undefined));
    assert.equal(srv.open().length, 0, 'every connection closed');
  });
});

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
