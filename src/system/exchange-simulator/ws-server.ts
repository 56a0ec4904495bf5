import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { serverShutdownEvent } from './live-events.ts';
import type { Prng } from './prng.ts';
import type { StreamHub } from './stream-hub.ts';
import { parseStreamName } from './stream-name.ts';
import type { StreamSpec } from './stream-name.ts';
import { WsClient } from './ws-client.ts';
import type { ResolvedWsOptions } from './ws-options.ts';
import { errorReply, parseWsRequest, resultReply } from './ws-requests.ts';
import type { WsRequest } from './ws-requests.ts';
import { requestedStreams } from './ws-endpoint.ts';
import type { Refusal } from './ws-endpoint.ts';

/** What the WebSocket server has done since the simulator started. */
export interface WsStats {
  /** Connections accepted. */
  readonly connectionsOpened: number;
  readonly open: number;
  /** Frames sent: events and replies. */
  readonly messagesSent: number;
  /** Upgrades refused: HTTP 429 (connection attempts) and 400/404 (bad path or stream names). */
  readonly rejectedConnections: number;
  /** Stream subscriptions over all open connections. */
  readonly subscriptions: number;
  /** Connections terminated for not answering pings. */
  readonly pongTimeouts: number;
  /** Connections closed by the forced rotation (`maxConnectionMs`). */
  readonly rotations: number;
  /** Connections closed for sending more than `maxIncomingPerSecond` messages. */
  readonly rateLimitCloses: number;
  /** Connections terminated by `randomDisconnectPerMinute`. */
  readonly randomDisconnects: number;
}

const SHUTDOWN_GRACE_MS = 1000;
const MAX_PAYLOAD_BYTES = 64 * 1024;

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(new Uint8Array(data)).toString('utf8');
}

type Plan = { readonly ok: true; readonly combined: boolean; readonly streams: ReadonlyMap<string, StreamSpec> } | Refusal;

/**
 * Binance's stream endpoint on the simulator's HTTP server: `/ws/<stream>` (raw payloads) and
 * `/stream?streams=a/b` (wrapped), live SUBSCRIBE/UNSUBSCRIBE, pings, forced rotation, message and
 * connection-attempt limits. Connection behaviour runs on real time; event data on the simulator clock.
 */
export class WsServer {
  readonly #opts: ResolvedWsOptions;
  readonly #hub: StreamHub;
  readonly #listed: ReadonlyMap<string, unknown>;
  readonly #faults: Prng;
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES, clientTracking: false });
  readonly #clients = new Set<WsClient>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #pinger: NodeJS.Timeout;
  readonly #attempts: number[] = [];
  #stats = { connectionsOpened: 0, messagesSent: 0, rejectedConnections: 0, pongTimeouts: 0, rotations: 0, rateLimitCloses: 0, randomDisconnects: 0 };
  readonly #countSent = (): void => {
    this.#stats.messagesSent += 1;
  };

  constructor(opts: ResolvedWsOptions, hub: StreamHub, listed: ReadonlyMap<string, unknown>, faults: Prng) {
    this.#opts = opts;
    this.#hub = hub;
    this.#listed = listed;
    this.#faults = faults;
    this.#pinger = setInterval(() => this.#pingAll(), opts.pingIntervalMs);
    this.#pinger.unref();
  }

  /** The HTTP server's `upgrade` handler. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const plan = this.#plan(req.url ?? '/');
    if (!plan.ok) {
      this.#refuse(socket, plan.status, JSON.stringify({ code: plan.status === 429 ? -1003 : 2, msg: plan.msg }));
      return;
    }
    this.#attempts.push(Date.now());
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, plan.combined, plan.streams));
  }

  /** Terminates connections at random, `randomDisconnectPerMinute` each on average; `elapsedMs` since the last call. */
  injectFaults(elapsedMs: number): void {
    const p = (this.#opts.randomDisconnectPerMinute * elapsedMs) / 60_000;
    if (p <= 0) return;
    for (const client of this.#clients) {
      if (this.#faults() < p) {
        this.#stats.randomDisconnects += 1;
        client.socket.terminate();
      }
    }
  }

  /** Terminates every connection without a close frame; returns how many. */
  dropConnections(): number {
    const count = this.#clients.size;
    for (const client of [...this.#clients]) client.socket.terminate();
    return count;
  }

  /** Sends `serverShutdown` on every connection and closes them a second later. */
  serverShutdown(nowMs: number): void {
    const clients = [...this.#clients];
    const frame = Buffer.from(serverShutdownEvent(nowMs), 'utf8');
    for (const client of clients) client.sendFrame(frame);
    this.#later(SHUTDOWN_GRACE_MS, () => {
      for (const client of clients) client.socket.close(1001, 'Server shutdown');
    });
  }

  stats(): WsStats {
    return { ...this.#stats, open: this.#clients.size, subscriptions: this.#hub.subscriptions };
  }

  close(): void {
    clearInterval(this.#pinger);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const client of [...this.#clients]) client.socket.terminate();
    this.#wss.close();
  }

  #plan(rawUrl: string): Plan {
    const target = requestedStreams(rawUrl);
    if (!target.ok) return target;
    const now = Date.now();
    while ((this.#attempts[0] ?? now) <= now - this.#opts.connectionAttemptWindowMs) this.#attempts.shift();
    if (this.#attempts.length >= this.#opts.connectionAttemptLimit) {
      return { ok: false, status: 429, msg: `Too many connection attempts; current limit is ${this.#opts.connectionAttemptLimit}` };
    }
    const streams = new Map<string, StreamSpec>();
    for (const name of target.names) {
      const parsed = parseStreamName(name, this.#listed);
      if (!parsed.ok) return { ok: false, status: 400, msg: parsed.msg };
      streams.set(name, parsed.spec);
    }
    if (streams.size > this.#opts.maxStreamsPerConnection) {
      return { ok: false, status: 400, msg: `Too many streams; current limit is ${this.#opts.maxStreamsPerConnection}` };
    }
    return { ok: true, combined: target.combined, streams };
  }

  #refuse(socket: Duplex, status: number, body: string): void {
    this.#stats.rejectedConnections += 1;
    const reason = status === 429 ? 'Too Many Requests' : status === 404 ? 'Not Found' : 'Bad Request';
    const retryAfter = status === 429 ? `Retry-After: ${this.#retryAfterSec()}\r\n` : '';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `${retryAfter}Connection: close\r\n\r\n${body}`,
    );
  }

  #retryAfterSec(): number {
    const oldest = this.#attempts[0] ?? Date.now();
    return Math.max(1, Math.ceil((oldest + this.#opts.connectionAttemptWindowMs - Date.now()) / 1000));
  }

  #accept(socket: WebSocket, combined: boolean, streams: ReadonlyMap<string, StreamSpec>): void {
    const client = new WsClient(socket, combined, Date.now(), this.#countSent);
    this.#clients.add(client);
    this.#stats.connectionsOpened += 1;
    for (const [name, spec] of streams) this.#subscribe(client, name, spec);
    client.rotation = setTimeout(() => {
      this.#stats.rotations += 1;
      socket.close(1000, 'Connection lifetime exceeded');
    }, this.#opts.maxConnectionMs);
    client.rotation.unref();
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => this.#onMessage(client, data, isBinary));
    socket.on('ping', () => this.#admit(client));
    socket.on('pong', () => {
      client.lastPongAtMs = Date.now();
      client.unansweredPings = 0;
    });
    socket.on('error', () => socket.terminate());
    socket.on('close', () => this.#remove(client));
  }

  #remove(client: WsClient): void {
    if (!this.#clients.delete(client)) return;
    clearTimeout(client.rotation);
    for (const name of client.streams.keys()) this.#hub.unsubscribe(client, name);
    client.streams.clear();
  }

  #admit(client: WsClient): boolean {
    if (client.admitIncoming(Date.now(), this.#opts.maxIncomingPerSecond)) return true;
    this.#stats.rateLimitCloses += 1;
    client.socket.close(1008, 'Too many messages');
    this.#remove(client);
    return false;
  }

  #onMessage(client: WsClient, data: WebSocket.RawData, isBinary: boolean): void {
    if (!this.#admit(client)) return;
    const text = isBinary ? '' : textOf(data);
    const parsed = parseWsRequest(text);
    if (!parsed.ok) {
      client.sendFrame(errorReply(parsed.error));
      return;
    }
    client.sendFrame(this.#execute(client, parsed.request));
  }

  #execute(client: WsClient, request: WsRequest): string {
    switch (request.method) {
      case 'SUBSCRIBE': {
        const wanted = new Map<string, StreamSpec>();
        for (const name of request.params) {
          const parsed = parseStreamName(name, this.#listed);
          if (!parsed.ok) return errorReply({ code: 2, msg: parsed.msg, id: request.id });
          if (!client.streams.has(name)) wanted.set(name, parsed.spec);
        }
        if (client.streams.size + wanted.size > this.#opts.maxStreamsPerConnection) {
          return errorReply({ code: 2, msg: `Invalid request: too many streams; current limit is ${this.#opts.maxStreamsPerConnection}`, id: request.id });
        }
        for (const [name, spec] of wanted) this.#subscribe(client, name, spec);
        return resultReply(null, request.id);
      }
      case 'UNSUBSCRIBE':
        for (const name of request.params) {
          if (client.streams.delete(name)) this.#hub.unsubscribe(client, name);
        }
        return resultReply(null, request.id);
      case 'LIST_SUBSCRIPTIONS':
        return resultReply([...client.streams.keys()], request.id);
      case 'GET_PROPERTY':
        return resultReply(client.combined, request.id);
      case 'SET_PROPERTY':
        if (request.value !== client.combined) {
          for (const name of client.streams.keys()) this.#hub.unsubscribe(client, name);
          client.combined = request.value;
          for (const [name, spec] of client.streams) this.#hub.subscribe(client, name, spec);
        }
        return resultReply(null, request.id);
      default:
        return request satisfies never;
    }
  }

  #subscribe(client: WsClient, name: string, spec: StreamSpec): void {
    client.streams.set(name, spec);
    this.#hub.subscribe(client, name, spec);
  }

  #pingAll(): void {
    const now = Date.now();
    // A client is cut off only once it let the timeout pass *and* left the pings of that span
    // unanswered: a late timer tick (a busy machine) must not cost it a ping it was never sent.
    const pingsInTimeout = Math.ceil(this.#opts.pongTimeoutMs / this.#opts.pingIntervalMs);
    for (const client of [...this.#clients]) {
      if (now - client.lastPongAtMs > this.#opts.pongTimeoutMs && client.unansweredPings >= pingsInTimeout) {
        this.#stats.pongTimeouts += 1;
        client.socket.terminate();
      } else {
        client.socket.ping();
        client.unansweredPings += 1;
      }
    }
  }

  #later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      action();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }
}
