import type { Clock, Logger, Metrics, Timer, WebSocketConnector } from '../ports/index.ts';
import { Backoff, delayFor } from '../retry/index.ts';
import type { BackoffPolicy } from '../retry/index.ts';
import { SlidingWindowLimit } from './sliding-window-limit.ts';
import { StreamSocket } from './stream-socket.ts';
import type { StreamSocketEvents } from './stream-socket.ts';

/** What a stream connection tells its owner. */
export interface StreamConnectionListener {
  onEvent(stream: string, data: unknown, receivedAtMs: number): void;
  /** No socket carries the streams any more: events from now until `onUp` may be missing. */
  onDown(reason: string): void;
  /** A socket carries the streams (first time, and again after each `onDown`). */
  onUp(): void;
  /** The exchange refused to subscribe these streams: no events for them until `onStreamsUp`. */
  onStreamsDown(streams: readonly string[], reason: string): void;
  /** Streams refused before are subscribed again. */
  onStreamsUp(streams: readonly string[]): void;
}

export interface StreamConnectionOptions {
  /** e.g. `wss://stream.binance.com:9443`, without a trailing slash. */
  readonly baseUrl: string;
  readonly connector: WebSocketConnector;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Connection attempts, shared by every connection to the same exchange. @defaultValue 300 per 5 minutes, of this connection alone */
  readonly attempts?: SlidingWindowLimit;
  /** A socket this old is replaced by an overlapping one (the exchange cuts them at 24 h). @defaultValue 23 hours */
  readonly rotateMs?: number;
  /** A socket that has heard nothing (no message, no ping) this long is dropped and replaced. @defaultValue 60000 */
  readonly staleMs?: number;
  /** Waits before reconnecting a lost socket, per failure in a row (the `streamReconnect` policy). */
  readonly reconnect: BackoffPolicy;
  /** Waits before asking again for streams the exchange refused; its budget is how often (the `streamSubscribe` policy). */
  readonly resubscribe: BackoffPolicy;
  /** Outgoing SUBSCRIBE/UNSUBSCRIBE messages per second; the exchange allows 5, pongs included. @defaultValue 4 */
  readonly messagesPerSecond?: number;
  /** Both sockets stay open this long after the new one is settled, so the old one's last events arrive. @defaultValue 250 */
  readonly handoverOverlapMs?: number;
  /** The old socket is closed this long after the new one opened even when the new one has sent nothing yet. @defaultValue 5000 */
  readonly handoverGraceMs?: number;
  /** @defaultValue Math.random */
  readonly random?: () => number;
}

/** Held events of a replacement socket are capped; past this the handover happens at once. */
const MAX_HELD_EVENTS = 100_000;

interface HeldEvent {
  readonly stream: string;
  readonly data: unknown;
  readonly receivedAtMs: number;
}

/**
 * One resilient combined-stream connection (`/stream?streams=a/b/c`) carrying a changing set of
 * streams. A lost socket is replaced with jittered exponential backoff within the connection-attempt
 * budget; a socket silent for `staleMs` is dropped; on `serverShutdown` and when a socket reaches
 * `rotateMs`, a new socket is opened first and the old one closed only once the new one delivers,
 * so nothing is missed (events of the overlap may arrive twice, in order: the new socket's events are
 * held until the old one is closed).
 */
export class StreamConnection {
  readonly #o: StreamConnectionOptions;
  readonly #listener: StreamConnectionListener;
  readonly #attempts: SlidingWindowLimit;
  readonly #streams = new Set<string>();
  /** Streams the exchange refused, with their refusals in a row: carried by no socket while here. */
  readonly #refused = new Map<string, number>();
  readonly #retryTimers = new Set<Timer>();
  readonly #reconnects: Backoff;
  readonly #socketEvents: StreamSocketEvents;
  #primary: StreamSocket | undefined;
  #successor: StreamSocket | undefined;
  #held: HeldEvent[] = [];
  #up = false;
  #closed = false;
  #connectTimer: Timer | undefined;
  #rotateTimer: Timer | undefined;
  #successorTimer: Timer | undefined;
  #handoverTimer: Timer | undefined;
  readonly #staleTimer: Timer;

  constructor(options: StreamConnectionOptions, listener: StreamConnectionListener) {
    this.#o = options;
    this.#listener = listener;
    this.#attempts = options.attempts ?? new SlidingWindowLimit(300, 300_000);
    this.#reconnects = new Backoff(options.reconnect, options.random);
    this.#socketEvents = {
      onOpen: (s) => this.#opened(s),
      onEvent: (s, stream, data, at) => this.#event(s, stream, data, at),
      onShutdownNotice: (s) => this.#shutdownNotice(s),
      onSubscribed: (s, streams) => this.#subscribed(s, streams),
      onRefused: (s, streams, message) => this.#refusedBy(s, streams, message),
      onSettled: (s) => this.#settled(s),
      onEnd: (s, reason) => this.#ended(s, reason),
    };
    const stale = this.#staleMs();
    this.#staleTimer = options.clock.setInterval(() => this.#checkStale(), Math.max(10, Math.min(5000, Math.floor(stale / 4))));
  }

  /** Streams carried. */
  get size(): number {
    return this.#streams.size;
  }

  /** True while a socket carries the streams. */
  get up(): boolean {
    return this.#up;
  }

  has(stream: string): boolean {
    return this.#streams.has(stream);
  }

  /** True while a socket carries `stream` (the connection is up and the exchange has not refused it). */
  live(stream: string): boolean {
    return this.#up && this.#streams.has(stream) && !this.#refused.has(stream);
  }

  add(streams: readonly string[]): void {
    if (this.#closed) throw new Error('stream connection is closed');
    const fresh = streams.filter((s) => !this.#streams.has(s));
    if (fresh.length === 0) return;
    for (const s of fresh) this.#streams.add(s);
    this.#primary?.subscribe(fresh);
    this.#successor?.subscribe(fresh);
    // Batch the streams added in this turn into the first URL.
    if (!this.#primary && this.#connectTimer === undefined) this.#schedule('connect', 0);
  }

  remove(streams: readonly string[]): void {
    const gone = streams.filter((s) => this.#streams.delete(s));
    if (gone.length === 0) return;
    for (const s of gone) this.#refused.delete(s);
    this.#primary?.unsubscribe(gone);
    this.#successor?.unsubscribe(gone);
  }

  /** Closes every socket; no `onDown` follows. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of [this.#connectTimer, this.#rotateTimer, this.#successorTimer, this.#handoverTimer, ...this.#retryTimers, this.#staleTimer]) t?.cancel();
    this.#retryTimers.clear();
    this.#successor?.close('closed_by_owner');
    this.#primary?.close('closed_by_owner');
    this.#successor = undefined;
    this.#primary = undefined;
    this.#held = [];
    this.#up = false;
  }

  #connect(): void {
    this.#connectTimer = undefined;
    if (this.#closed || this.#primary || this.#streams.size === 0) return;
    const wait = this.#attempts.take(this.#o.clock.now());
    if (wait > 0) {
      this.#o.log.warn({ wait_ms: wait }, 'connection attempt budget spent; waiting');
      this.#schedule('connect', wait);
      return;
    }
    this.#primary = this.#socket();
  }

  /** Opens a replacement next to the primary (rotation, shutdown notice, or a failed replacement retried). */
  #startSuccessor(): void {
    this.#successorTimer = undefined;
    if (this.#closed || this.#successor || this.#primary?.state !== 'open') return;
    const wait = this.#attempts.take(this.#o.clock.now());
    if (wait > 0) {
      this.#schedule('successor', wait);
      return;
    }
    this.#held = [];
    this.#successor = this.#socket();
  }

  #socket(): StreamSocket {
    // Refused streams stay out of the URL (a bad name there could fail the whole handshake).
    const socket = new StreamSocket(
      {
        baseUrl: this.#o.baseUrl,
        streams: [...this.#streams].filter((s) => !this.#refused.has(s)),
        connector: this.#o.connector,
        clock: this.#o.clock,
        log: this.#o.log,
        messagesPerSecond: this.#o.messagesPerSecond ?? 4,
      },
      this.#socketEvents,
    );
    socket.subscribe(this.#retriable(), true);
    return socket;
  }

  #opened(s: StreamSocket): void {
    if (s === this.#primary) {
      this.#scheduleRotation(s);
      if (!this.#up) {
        this.#up = true;
        this.#listener.onUp();
      }
    } else if (s === this.#successor) {
      this.#handoverTimer?.cancel();
      this.#handoverTimer = this.#o.clock.setTimeout(() => this.#handover(), this.#o.handoverGraceMs ?? 5000);
    }
  }

  #event(s: StreamSocket, stream: string, data: unknown, receivedAtMs: number): void {
    if (s === this.#primary) {
      this.#reconnects.reset();
      if (this.#streams.has(stream)) this.#listener.onEvent(stream, data, receivedAtMs);
    } else if (s === this.#successor) {
      this.#held.push({ stream, data, receivedAtMs });
      if (this.#held.length >= MAX_HELD_EVENTS) this.#handover();
    }
  }

  #subscribed(s: StreamSocket, streams: readonly string[]): void {
    if (s !== this.#primary && s !== this.#successor) return;
    const back = streams.filter((x) => this.#refused.delete(x));
    if (back.length === 0) return;
    this.#o.log.info({ streams: back }, 'refused streams subscribed again');
    this.#listener.onStreamsUp(back);
  }

  /** The exchange refused streams: they are down, and asked for again after a backoff while the `resubscribe` budget lasts. */
  #refusedBy(s: StreamSocket, streams: readonly string[], message: string): void {
    if (this.#closed || (s !== this.#primary && s !== this.#successor)) return;
    const refused = streams.filter((x) => this.#streams.has(x));
    if (refused.length === 0) return;
    let most = 0;
    for (const stream of refused) {
      const refusals = (this.#refused.get(stream) ?? 0) + 1;
      this.#refused.set(stream, refusals);
      most = Math.max(most, refusals);
      if (refusals >= this.#maxRefusals()) this.#o.log.error({ stream, refusals, message }, 'exchange keeps refusing stream; not asking again');
    }
    this.#o.log.warn({ streams: refused, message }, 'exchange refused stream subscription');
    // The other socket may carry them (a replacement's URL): dropped there too, so both are asked again alike.
    this.#primary?.unsubscribe(refused);
    this.#successor?.unsubscribe(refused);
    this.#listener.onStreamsDown(refused, `subscription refused by the exchange: ${message}`);
    if (most >= this.#maxRefusals() && this.#retriable().length === 0) return;
    const timer = this.#o.clock.setTimeout(() => {
      this.#retryTimers.delete(timer);
      const retry = this.#retriable();
      this.#primary?.subscribe(retry, true);
      this.#successor?.subscribe(retry, true);
    }, delayFor(this.#o.resubscribe, most - 1, this.#o.random));
    this.#retryTimers.add(timer);
  }

  /** Refused streams still worth asking for. */
  #retriable(): string[] {
    const max = this.#maxRefusals();
    return [...this.#refused].filter(([, n]) => n < max).map(([s]) => s);
  }

  /** A stream refused this many times in a row is not asked for again (a bad name stays bad). */
  #maxRefusals(): number {
    return (this.#o.resubscribe.budget?.retries ?? Number.POSITIVE_INFINITY) + 1;
  }

  #settled(s: StreamSocket): void {
    if (s !== this.#successor) return;
    this.#handoverTimer?.cancel();
    this.#handoverTimer = this.#o.clock.setTimeout(() => this.#handover(), this.#o.handoverOverlapMs ?? 250);
  }

  #shutdownNotice(s: StreamSocket): void {
    if (s !== this.#primary || this.#successor) return;
    this.#o.log.info({ streams: this.#streams.size }, 'server shutdown announced; opening a replacement');
    this.#o.metrics.streamReconnected('server_shutdown');
    this.#successorTimer?.cancel();
    this.#startSuccessor();
  }

  /** The replacement takes over: its held events are delivered, then the old socket is closed. */
  #handover(): void {
    this.#handoverTimer?.cancel();
    this.#handoverTimer = undefined;
    const next = this.#successor;
    if (this.#closed || next?.state !== 'open') return;
    const old = this.#primary;
    this.#successor = undefined;
    this.#primary = next;
    this.#reconnects.reset();
    old?.close('replaced');
    const held = this.#held;
    this.#held = [];
    for (const e of held) if (this.#streams.has(e.stream)) this.#listener.onEvent(e.stream, e.data, e.receivedAtMs);
    this.#scheduleRotation(next);
    if (!this.#up) {
      this.#up = true;
      this.#listener.onUp();
    }
  }

  #ended(s: StreamSocket, reason: string): void {
    if (s === this.#successor) {
      this.#successor = undefined;
      this.#held = [];
      this.#handoverTimer?.cancel();
      if (this.#closed) return;
      this.#o.log.warn({ reason }, 'replacement stream socket ended before taking over; retrying');
      this.#schedule('successor', this.#backoff());
      return;
    }
    if (s !== this.#primary) return;
    this.#primary = undefined;
    this.#rotateTimer?.cancel();
    if (this.#closed) return;
    if (this.#successor?.state === 'open') {
      // The replacement is already receiving: it takes over without a gap.
      this.#handover();
      return;
    }
    if (this.#up) {
      this.#up = false;
      this.#o.log.warn({ reason, streams: this.#streams.size }, 'stream connection lost');
      this.#o.metrics.streamReconnected(reason);
      this.#listener.onDown(reason);
    } else this.#o.log.warn({ reason, failures: this.#reconnects.attempts }, 'stream connection attempt failed');
    if (this.#successor) {
      // Still connecting: it becomes the primary, and says `onUp` when it opens.
      this.#primary = this.#successor;
      this.#successor = undefined;
      this.#held = [];
      this.#handoverTimer?.cancel();
      return;
    }
    if (this.#connectTimer === undefined) this.#schedule('connect', this.#backoff());
  }

  #checkStale(): void {
    const now = this.#o.clock.now();
    const stale = this.#staleMs();
    for (const s of [this.#primary, this.#successor]) {
      if (s?.state === 'open' && now - s.lastHeardAt > stale) {
        this.#o.log.warn({ silent_ms: now - s.lastHeardAt }, 'stream socket stale; dropping it');
        s.terminate('stale');
      }
    }
  }

  #scheduleRotation(s: StreamSocket): void {
    this.#rotateTimer?.cancel();
    const rotateMs = this.#o.rotateMs ?? 23 * 3_600_000;
    const age = this.#o.clock.now() - (s.openedAt ?? this.#o.clock.now());
    this.#rotateTimer = this.#o.clock.setTimeout(() => {
      if (s !== this.#primary || this.#successor) return;
      this.#o.log.info({ age_ms: this.#o.clock.now() - (s.openedAt ?? 0) }, 'rotating stream connection');
      this.#o.metrics.streamReconnected('rotation');
      this.#startSuccessor();
    }, Math.max(0, rotateMs - age));
  }

  #schedule(what: 'connect' | 'successor', delayMs: number): void {
    if (what === 'connect') {
      this.#connectTimer?.cancel();
      this.#connectTimer = this.#o.clock.setTimeout(() => this.#connect(), delayMs);
    } else {
      this.#successorTimer?.cancel();
      this.#successorTimer = this.#o.clock.setTimeout(() => this.#startSuccessor(), delayMs);
    }
  }

  /** The next reconnect's wait. A live stream never gives up: past a budget (the default policy has none) it waits the cap, the attempt limit pacing it. */
  #backoff(): number {
    return this.#reconnects.next(this.#o.clock.now()) ?? this.#o.reconnect.capMs;
  }

  #staleMs(): number {
    return this.#o.staleMs ?? 60_000;
  }
}
