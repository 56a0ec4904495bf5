import type { Clock, Logger, Timer, WebSocketConnection, WebSocketConnector } from '../ports/index.ts';
import { SlidingWindowLimit } from './sliding-window-limit.ts';

/** What one socket of a combined-stream connection reports to its owner. */
export interface StreamSocketEvents {
  onOpen(socket: StreamSocket): void;
  onEvent(socket: StreamSocket, stream: string, data: unknown, receivedAtMs: number): void;
  /** The server announced it will close this socket (`serverShutdown`). */
  onShutdownNotice(socket: StreamSocket): void;
  /** A SUBSCRIBE was accepted: these streams (still wanted) are carried now. */
  onSubscribed(socket: StreamSocket, streams: readonly string[]): void;
  /** A SUBSCRIBE was refused: these streams (still wanted) are dropped from the socket; `message` is the exchange's. */
  onRefused(socket: StreamSocket, streams: readonly string[], message: string): void;
  /** Every stream the socket was asked for is subscribed and at least one event has arrived. */
  onSettled(socket: StreamSocket): void;
  /** Called once, whatever ended the socket: `closed`, `error`, `stale`, or the reason given to `close`/`terminate`. */
  onEnd(socket: StreamSocket, reason: string): void;
}

export interface StreamSocketOptions {
  /** e.g. `wss://stream.binance.com:9443`, without a trailing slash. */
  readonly baseUrl: string;
  readonly streams: Iterable<string>;
  readonly connector: WebSocketConnector;
  readonly clock: Clock;
  readonly log: Logger;
  /** Outgoing control messages per second. */
  readonly messagesPerSecond: number;
}

type SocketState = 'connecting' | 'open' | 'closed';

/** Streams put in the URL; the rest are subscribed with messages once open (servers cap the request line). */
const MAX_URL_STREAM_CHARS = 4000;
/** Streams per SUBSCRIBE/UNSUBSCRIBE message. */
const MAX_PARAMS_PER_MESSAGE = 200;

/**
 * One WebSocket on `/stream?streams=a/b/c`: unwraps `{stream, data}`, tracks when it last heard
 * anything (message or ping), and sends SUBSCRIBE/UNSUBSCRIBE paced to the per-connection message
 * limit, coalesced (a stream subscribed and unsubscribed before either was sent costs nothing).
 */
export class StreamSocket {
  readonly #o: StreamSocketOptions;
  readonly #events: StreamSocketEvents;
  readonly #conn: WebSocketConnection;
  readonly #pacer: SlidingWindowLimit;
  /** Streams this socket carries or has been asked to carry. */
  readonly #streams = new Set<string>();
  readonly #toSubscribe = new Set<string>();
  /** Sent one per SUBSCRIBE, so that a refusal names the one stream refused (the exchange refuses a whole message). */
  readonly #toSubscribeAlone = new Set<string>();
  readonly #toUnsubscribe = new Set<string>();
  /** SUBSCRIBE messages not answered yet, by id, with their streams. */
  readonly #unacked = new Map<number, readonly string[]>();
  #nextId = 1;
  #state: SocketState = 'connecting';
  #endedBy: string | undefined;
  #sawError = false;
  #flushTimer: Timer | undefined;
  #settledReported = false;
  openedAt: number | undefined;
  lastHeardAt: number;
  eventsReceived = 0;

  constructor(options: StreamSocketOptions, events: StreamSocketEvents) {
    this.#o = options;
    this.#events = events;
    this.#pacer = new SlidingWindowLimit(options.messagesPerSecond, 1000);
    this.lastHeardAt = options.clock.now();
    const inUrl: string[] = [];
    let chars = 0;
    for (const stream of options.streams) {
      this.#streams.add(stream);
      if (chars + stream.length + 1 <= MAX_URL_STREAM_CHARS) {
        inUrl.push(stream);
        chars += stream.length + 1;
      } else this.#toSubscribe.add(stream);
    }
    this.#conn = options.connector.connect(`${options.baseUrl}/stream?streams=${inUrl.join('/')}`, {
      onOpen: () => this.#opened(),
      onMessage: (text) => this.#message(text),
      onPing: () => (this.lastHeardAt = this.#o.clock.now()),
      onError: (err) => {
        this.#sawError = true;
        this.#o.log.debug({ err }, 'stream socket error');
      },
      onClose: (code, reason) => this.#closed(code, reason),
    });
  }

  get state(): SocketState {
    return this.#state;
  }

  carries(stream: string): boolean {
    return this.#streams.has(stream);
  }

  /** True when nothing is waiting to be sent or answered. */
  subscriptionsSettled(): boolean {
    return this.#toSubscribe.size === 0 && this.#toSubscribeAlone.size === 0 && this.#toUnsubscribe.size === 0 && this.#unacked.size === 0;
  }

  /** `alone`: one SUBSCRIBE per stream (a retry after a refusal). */
  subscribe(streams: Iterable<string>, alone = false): void {
    for (const s of streams) {
      if (this.#toUnsubscribe.delete(s)) {
        this.#streams.add(s);
        continue;
      }
      if (this.#streams.has(s)) continue;
      this.#streams.add(s);
      (alone ? this.#toSubscribeAlone : this.#toSubscribe).add(s);
    }
    this.#flush();
  }

  unsubscribe(streams: Iterable<string>): void {
    for (const s of streams) {
      if (!this.#streams.delete(s)) continue;
      if (!this.#toSubscribe.delete(s) && !this.#toSubscribeAlone.delete(s)) this.#toUnsubscribe.add(s);
    }
    this.#flush();
  }

  /** Closes gracefully; `onEnd` follows with `reason`. */
  close(reason: string): void {
    if (this.#state === 'closed' || this.#endedBy !== undefined) return;
    this.#endedBy = reason;
    this.#conn.close(1000, reason);
  }

  /** Drops the connection at once (no close handshake); `onEnd` follows with `reason`. */
  terminate(reason: string): void {
    if (this.#state === 'closed' || this.#endedBy !== undefined) return;
    this.#endedBy = reason;
    this.#conn.terminate();
  }

  #opened(): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'open';
    this.openedAt = this.#o.clock.now();
    this.lastHeardAt = this.openedAt;
    this.#events.onOpen(this);
    this.#flush();
  }

  #message(text: string): void {
    if (this.#state === 'closed') return;
    const now = this.#o.clock.now();
    this.lastHeardAt = now;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      this.#o.log.warn({ err, length: text.length }, 'stream message is not JSON');
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const body = msg as Record<string, unknown>;
    if (typeof body.stream === 'string' && 'data' in body) {
      if (isShutdownNotice(body.data)) this.#events.onShutdownNotice(this);
      else {
        this.eventsReceived++;
        this.#events.onEvent(this, body.stream, body.data, now);
      }
    } else if (isShutdownNotice(body)) this.#events.onShutdownNotice(this);
    else if (typeof body.id === 'number') this.#answered(body.id, body.error);
    this.#reportSettled();
  }

  #answered(id: number, error: unknown): void {
    const asked = this.#unacked.get(id);
    this.#unacked.delete(id);
    const refused = error !== undefined && error !== null;
    if (!asked) {
      if (refused) this.#o.log.warn({ id, error }, 'stream subscription request refused');
      return;
    }
    // Streams unsubscribed meanwhile are nobody's concern any more.
    const wanted = asked.filter((s) => this.#streams.has(s));
    if (!refused) {
      if (wanted.length > 0) this.#events.onSubscribed(this, wanted);
      return;
    }
    for (const s of wanted) this.#streams.delete(s);
    if (wanted.length > 0) this.#events.onRefused(this, wanted, refusalMessage(error));
  }

  #reportSettled(): void {
    if (this.#settledReported || this.eventsReceived === 0 || !this.subscriptionsSettled()) return;
    this.#settledReported = true;
    this.#events.onSettled(this);
  }

  /** Sends what is queued, as fast as the message limit allows. */
  #flush(): void {
    if (this.#state !== 'open' || this.#flushTimer !== undefined) return;
    while (this.#toSubscribe.size > 0 || this.#toSubscribeAlone.size > 0 || this.#toUnsubscribe.size > 0) {
      const wait = this.#pacer.take(this.#o.clock.now());
      if (wait > 0) {
        this.#flushTimer = this.#o.clock.setTimeout(() => {
          this.#flushTimer = undefined;
          this.#flush();
        }, wait);
        return;
      }
      const alone = this.#toSubscribe.size === 0 && this.#toSubscribeAlone.size > 0;
      const subscribing = this.#toSubscribe.size > 0 || alone;
      const queue = alone ? this.#toSubscribeAlone : subscribing ? this.#toSubscribe : this.#toUnsubscribe;
      const params = [...queue].slice(0, alone ? 1 : MAX_PARAMS_PER_MESSAGE);
      for (const p of params) queue.delete(p);
      const id = this.#nextId++;
      if (subscribing) {
        this.#unacked.set(id, params);
        this.#settledReported = false;
      }
      this.#conn.send(JSON.stringify({ method: subscribing ? 'SUBSCRIBE' : 'UNSUBSCRIBE', params, id }));
    }
  }

  #closed(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#flushTimer?.cancel();
    this.#flushTimer = undefined;
    const why = this.#endedBy ?? (this.#sawError ? 'error' : 'closed');
    this.#o.log.debug({ code, reason, why }, 'stream socket ended');
    this.#events.onEnd(this, why);
  }
}

/** The exchange's `{"code", "msg"}`, as text for logs and reasons. */
function refusalMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, msg } = error as Record<string, unknown>;
    if (typeof msg === 'string') return typeof code === 'number' ? `${msg} (code ${code})` : msg;
  }
  return JSON.stringify(error);
}

function isShutdownNotice(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).e === 'serverShutdown';
}
