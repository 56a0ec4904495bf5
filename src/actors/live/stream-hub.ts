import type { Logger, WebSocketConnector } from '../ports/index.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import type { LiveStreamEvents, LiveStreams, LiveSubscription } from './live-streams.ts';
import { SlidingWindowLimit } from './sliding-window-limit.ts';
import { StreamConnection } from './stream-connection.ts';
import type { StreamConnectionOptions } from './stream-connection.ts';

/** The exchange's cap on streams per connection. */
export const MAX_STREAMS_PER_CONNECTION = 1024;

interface Subscriber {
  readonly streams: readonly string[];
  readonly events: LiveStreamEvents;
  /** What this subscriber was last told: live (`onLive`) or not (`onDisconnect`, or nothing yet). */
  live: boolean;
  closed: boolean;
}

export interface StreamHubOptions extends Omit<StreamConnectionOptions, 'attempts'> {
  /** @defaultValue 1024 */
  readonly maxStreamsPerConnection?: number;
}

/**
 * The live streams of one process: the streams of every subscriber multiplexed onto as few
 * combined-stream connections as the per-connection cap allows, each stream subscribed once however
 * many stages want it (ref-counted), each event routed to the subscribers of its stream. A
 * subscriber hears `onDisconnect` when a connection carrying one of its streams drops or the exchange
 * refuses one of its streams, and `onLive` once all of its streams are carried again.
 */
export class StreamHub implements LiveStreams {
  readonly #o: StreamHubOptions;
  readonly #log: Logger;
  /** Shared by every connection: the exchange counts attempts per IP. */
  readonly #attempts = new SlidingWindowLimit(300, 300_000);
  readonly #connections = new Set<StreamConnection>();
  readonly #connectionOf = new Map<string, StreamConnection>();
  readonly #subscribersOf = new Map<string, Set<Subscriber>>();

  constructor(options: StreamHubOptions) {
    this.#o = options;
    this.#log = options.log;
  }

  subscribe(streams: readonly string[], events: LiveStreamEvents): LiveSubscription {
    const sub: Subscriber = { streams: [...new Set(streams)], events, live: false, closed: false };
    const fresh: string[] = [];
    for (const stream of sub.streams) {
      let subs = this.#subscribersOf.get(stream);
      if (!subs) {
        subs = new Set();
        this.#subscribersOf.set(stream, subs);
        fresh.push(stream);
      }
      subs.add(sub);
    }
    this.#place(fresh);
    // Told after `subscribe` returns, never from inside it.
    queueMicrotask(() => this.#refresh(sub, 'subscribed'));
    return { close: () => this.#unsubscribe(sub) };
  }

  /** Puts new streams on connections with room, opening connections as needed. */
  #place(streams: readonly string[]): void {
    const max = this.#o.maxStreamsPerConnection ?? MAX_STREAMS_PER_CONNECTION;
    let rest = streams;
    for (const conn of this.#connections) {
      if (rest.length === 0) return;
      const room = max - conn.size;
      if (room <= 0) continue;
      this.#assign(conn, rest.slice(0, room));
      rest = rest.slice(room);
    }
    while (rest.length > 0) {
      const conn = this.#open();
      this.#assign(conn, rest.slice(0, max));
      rest = rest.slice(max);
    }
  }

  #assign(conn: StreamConnection, streams: readonly string[]): void {
    for (const s of streams) this.#connectionOf.set(s, conn);
    conn.add(streams);
  }

  #open(): StreamConnection {
    const conn: StreamConnection = new StreamConnection(
      { ...this.#o, attempts: this.#attempts },
      {
        onEvent: (stream, data, at) => {
          const subs = this.#subscribersOf.get(stream);
          if (subs) for (const sub of subs) sub.events.onEvent(stream, data, at);
        },
        onDown: (reason) => this.#changed(conn, reason),
        onUp: () => this.#changed(conn, 'up'),
        onStreamsDown: (streams, reason) => this.#streamsChanged(streams, reason),
        onStreamsUp: (streams) => this.#streamsChanged(streams, 'up'),
      },
    );
    this.#connections.add(conn);
    this.#log.debug({ connections: this.#connections.size }, 'stream connection opened');
    return conn;
  }

  #changed(conn: StreamConnection, reason: string): void {
    const affected = new Set<Subscriber>();
    for (const [stream, c] of this.#connectionOf) {
      if (c !== conn) continue;
      for (const sub of this.#subscribersOf.get(stream) ?? []) affected.add(sub);
    }
    for (const sub of affected) this.#refresh(sub, reason);
  }

  #streamsChanged(streams: readonly string[], reason: string): void {
    const affected = new Set<Subscriber>();
    for (const stream of streams) for (const sub of this.#subscribersOf.get(stream) ?? []) affected.add(sub);
    for (const sub of affected) this.#refresh(sub, reason);
  }

  /** Tells a subscriber when it went from live to not, or back. */
  #refresh(sub: Subscriber, reason: string): void {
    if (sub.closed) return;
    const live = sub.streams.every((s) => this.#connectionOf.get(s)?.live(s) === true);
    if (live === sub.live) return;
    sub.live = live;
    if (live) sub.events.onLive();
    else sub.events.onDisconnect(reason);
  }

  #unsubscribe(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    const byConnection = new Map<StreamConnection, string[]>();
    for (const stream of sub.streams) {
      const subs = this.#subscribersOf.get(stream);
      subs?.delete(sub);
      if (subs && subs.size > 0) continue;
      this.#subscribersOf.delete(stream);
      const conn = this.#connectionOf.get(stream);
      this.#connectionOf.delete(stream);
      if (conn) byConnection.set(conn, [...(byConnection.get(conn) ?? []), stream]);
    }
    for (const [conn, streams] of byConnection) {
      conn.remove(streams);
      if (conn.size === 0) {
        conn.close();
        this.#connections.delete(conn);
      }
    }
  }
}

const hubs = new WeakMap<WebSocketConnector, StreamHub>();

/** The process's live streams (one hub per WebSocket connector, so per runtime). */
export function liveStreamsFor(deps: StageDeps): LiveStreams {
  let hub = hubs.get(deps.ws);
  if (!hub) {
    const { settings } = deps;
    hub = new StreamHub({
      baseUrl: settings.binanceWsUrl,
      connector: deps.ws,
      clock: deps.clock,
      metrics: deps.metrics,
      log: deps.log.child({ component: 'live-streams' }),
      reconnect: settings.retry.streamReconnect,
      resubscribe: settings.retry.streamSubscribe,
      ...(settings.wsRotateMs !== undefined ? { rotateMs: settings.wsRotateMs } : {}),
      ...(settings.wsStaleMs !== undefined ? { staleMs: settings.wsStaleMs } : {}),
    });
    hubs.set(deps.ws, hub);
  }
  return hub;
}
