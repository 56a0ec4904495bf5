import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';
import type { SeriesRecord } from '../../protocol/index.ts';
import { binanceFrame, combinedFrame } from './binance-frame.ts';
import type { ReplaySink } from './replay-sink.ts';

/** Bytes a client's socket may hold unsent before the replay waits for it. */
const HIGH_WATER_BYTES = 1 << 20;
const MAX_INCOMING_BYTES = 64 * 1024;

interface Client {
  readonly socket: WebSocket;
  /** `/stream?streams=…` wraps each event as `{stream, data}`; `/ws/<stream>` sends the event alone. */
  readonly combined: boolean;
  /** Lower-cased stream names; undefined: every stream of the replay (`/stream` without a list). */
  streams: Set<string> | undefined;
}

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(new Uint8Array(data)).toString('utf8');
}

/** The framing and stream names a client asked for in its URL, as Binance's endpoint reads them. */
function clientOf(socket: WebSocket, req: IncomingMessage): Client | undefined {
  const url = new URL(req.url ?? '/', 'http://replay');
  const names = (text: string) => new Set(text.split('/').filter((n) => n !== '').map((n) => decodeURIComponent(n).toLowerCase()));
  if (url.pathname === '/stream' || url.pathname === '/stream/') {
    const list = url.searchParams.get('streams');
    return { socket, combined: true, streams: list === null || list === '' ? undefined : names(list) };
  }
  if (url.pathname === '/ws' || url.pathname.startsWith('/ws/')) return { socket, combined: false, streams: names(url.pathname.slice(4)) };
  return undefined;
}

/**
 * Serves a replay on a local WebSocket in Binance's own formats, so a bot written against Binance
 * runs on history unchanged: `/stream?streams=btcusdt@aggTrade/ethusdt@aggTrade` (combined frames
 * `{"stream":…,"data":…}`), `/ws/btcusdt@aggTrade` (the event alone), `/stream` alone (every stream
 * of the replay), and live `SUBSCRIBE`/`UNSUBSCRIBE` requests. The replay starts when the first
 * client has connected; a client connecting later joins where the replay stands. At the end every
 * client is closed with 1000. A slow client slows the replay (never an unbounded buffer).
 */
export class WebSocketReplaySink implements ReplaySink {
  readonly #host: string;
  readonly #port: number;
  readonly #clients = new Set<Client>();
  #wss: WebSocketServer | undefined;
  #firstClient: (() => void) | undefined;

  constructor(port: number, host = '127.0.0.1') {
    this.#port = port;
    this.#host = host;
  }

  where(): { readonly ws_port: number } {
    const address = this.#wss?.address();
    return { ws_port: typeof address === 'object' && address !== null ? address.port : this.#port };
  }

  /** Listens, then waits for the first client. */
  async open(signal: AbortSignal): Promise<void> {
    await this.listen();
    if (this.#clients.size > 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#firstClient = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }

  /** Listens without waiting for a client: `where()` tells the port after this. */
  async listen(): Promise<void> {
    if (this.#wss) return;
    const wss = new WebSocketServer({ host: this.#host, port: this.#port, perMessageDeflate: false, maxPayload: MAX_INCOMING_BYTES });
    this.#wss = wss;
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', (err) =>
        reject(new StreamForgeError(ErrorCodes.VALIDATION, `cannot listen on ws_port ${this.#port}: ${err.message}; accepted: a free port (0: any)`, { cause: err })),
      );
    });
    wss.on('connection', (socket, req) => this.#connected(socket, req));
  }

  async send(records: readonly SeriesRecord[]): Promise<void> {
    for (const record of records) {
      const frame = binanceFrame(record);
      if (frame === undefined) continue;
      let combined: string | undefined;
      const stream = frame.stream.toLowerCase();
      for (const client of this.#clients) {
        if (client.streams !== undefined && !client.streams.has(stream)) continue;
        const text = client.combined ? (combined ??= combinedFrame(frame)) : frame.payload;
        if (client.socket.bufferedAmount < HIGH_WATER_BYTES) {
          client.socket.send(text);
          continue;
        }
        // Wait for this client to take what it holds: the replay goes at the pace of its slowest reader.
        await new Promise<void>((resolve) => client.socket.send(text, () => resolve()));
      }
    }
  }

  async close(): Promise<void> {
    const wss = this.#wss;
    this.#wss = undefined;
    await Promise.all(
      [...this.#clients].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.readyState === c.socket.CLOSED) return resolve();
            c.socket.once('close', () => resolve());
            c.socket.close(1000, 'replay finished');
          }),
      ),
    );
    this.#clients.clear();
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  #connected(socket: WebSocket, req: IncomingMessage): void {
    const client = clientOf(socket, req);
    if (client === undefined) {
      socket.close(1008, 'unknown path; accepted: /stream?streams=<a>/<b>, /stream, /ws/<stream>');
      return;
    }
    this.#clients.add(client);
    socket.on('close', () => this.#clients.delete(client));
    socket.on('error', () => this.#clients.delete(client));
    socket.on('message', (data) => this.#request(client, textOf(data)));
    const first = this.#firstClient;
    this.#firstClient = undefined;
    first?.();
  }

  /** Binance's live requests: `{"method":"SUBSCRIBE"|"UNSUBSCRIBE","params":[…],"id":n}`, answered `{"result":null,"id":n}`. */
  #request(client: Client, text: string): void {
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch (err) {
      client.socket.send(JSON.stringify({ error: { code: 2, msg: `Invalid JSON: ${(err as Error).message}` } }));
      return;
    }
    const r = req as { method?: unknown; params?: unknown; id?: unknown };
    const params = Array.isArray(r.params) ? r.params.filter((p): p is string => typeof p === 'string').map((p) => p.toLowerCase()) : [];
    if (r.method === 'SUBSCRIBE') {
      client.streams ??= new Set();
      for (const p of params) client.streams.add(p);
    } else if (r.method === 'UNSUBSCRIBE') {
      for (const p of params) client.streams?.delete(p);
    } else {
      client.socket.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request; accepted: SUBSCRIBE, UNSUBSCRIBE' }, id: r.id ?? null }));
      return;
    }
    client.socket.send(JSON.stringify({ result: null, id: r.id ?? null }));
  }
}
