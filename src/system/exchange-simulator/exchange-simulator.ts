import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveArchive } from './archive-server.ts';
import type { ArchiveContext } from './archive-server.ts';
import { binanceErrors } from './binance-errors.ts';
import type { BinanceFailure } from './binance-errors.ts';
import { DepthBooks } from './depth-books.ts';
import { hashString } from './hash.ts';
import { holesFor } from './holes.ts';
import type { SymbolHoles } from './holes.ts';
import { LiveFeed } from './live-feed.ts';
import { MARKET_DATA_ROUTES } from './market-data-routes.ts';
import { installSyntheticMarket } from './market-price-path.ts';
import type { MarketContext } from './market-data-routes.ts';
import { createPrng } from './prng.ts';
import type { Prng } from './prng.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { RateLimitRule } from './rate-limiter.ts';
import { isProbability, resolveOptions } from './simulator-options.ts';
import type { ResolvedOptions, SimulatorOptions } from './simulator-options.ts';
import { StatsCounter } from './simulator-stats.ts';
import type { SimulatorStats } from './simulator-stats.ts';
import { StreamHub } from './stream-hub.ts';
import type { BookLevels } from './order-book.ts';
import { WsServer } from './ws-server.ts';
import type { WsStats } from './ws-server.ts';

/** A running simulator. */
export interface ExchangeSimulator {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  stats(): SimulatorStats;
  resetStats(): void;
  setServerErrorRate(p: number): void;
  /** The exchange changes its limits (exchangeInfo advertises the new ones; clients that read them before do not know). */
  setRateLimits(rules: readonly RateLimitRule[]): void;
  /** WebSocket base URL on the same port, e.g. ws://127.0.0.1:40123 (paths `/ws/<stream>`, `/stream?streams=a/b`). */
  readonly wsUrl: string;
  /** Archive base URL (= url): serves `/data/spot/...`. */
  readonly archiveUrl: string;
  /** Terminates every WebSocket connection abruptly (no close frame); returns how many. */
  dropConnections(): number;
  /** Sends `{"e":"serverShutdown","E":<ms>}` (unwrapped) on every connection, then closes them 1 s later. */
  serverShutdown(): void;
  /** The next depth batch of `symbol` is applied to the book but not sent: the next event's U jumps. */
  injectDepthGap(symbol: string): void;
  /**
   * The whole book of `symbol` as of its last batch (sent or dropped): what a client that applied
   * every event holds. Created on first use. REST /api/v3/depth may be a few update ids ahead.
   */
  book(symbol: string): BookLevels;
  wsStats(): WsStats;
  /** Stops listening, closes every connection (HTTP and WebSocket) and stops every timer. */
  close(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8';
const SERVER_ERROR_STATUSES = [500, 502, 503] as const;
const UNKNOWN_PATH_WEIGHT = 1;

interface Reply {
  readonly status: number;
  /** JSON, as text or UTF-8 bytes (or an archive file). */
  readonly body: string | Buffer;
  readonly headers: Record<string, string>;
  /** @defaultValue JSON */
  readonly contentType?: string;
}

const ARCHIVE_PREFIX = '/data/';

function failureReply(failure: BinanceFailure, headers: Record<string, string>): Reply {
  return { status: failure.status, body: JSON.stringify(failure.body), headers };
}

/** Request handling, separate from the socket plumbing. */
class SimulatorCore {
  readonly #opts: ResolvedOptions;
  readonly #limiter: RateLimiter;
  #rateLimits: readonly RateLimitRule[];
  readonly holes: ReadonlyMap<string, SymbolHoles>;
  readonly books: DepthBooks;
  readonly #faults: Prng;
  stats = new StatsCounter();
  serverErrorRate: number;

  constructor(opts: ResolvedOptions) {
    this.#opts = opts;
    this.#limiter = new RateLimiter(opts.rateLimits, opts.banGraceMs);
    this.#rateLimits = opts.rateLimits;
    this.holes = new Map([...opts.listedAtMs.keys()].map((symbol) => [symbol, holesFor(symbol, opts.holes)]));
    this.books = new DepthBooks(opts.seed, opts.ws.depthIntervalMs);
    // Faults draw from their own stream so that injecting them never changes the data served.
    this.#faults = createPrng(hashString(`faults|${opts.seed}`));
    this.serverErrorRate = opts.serverErrorRate;
  }

  handle(method: string | undefined, rawUrl: string): Reply {
    const queryStart = rawUrl.indexOf('?');
    const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const nowMs = this.#opts.nowMs();
    // Archive files are static downloads: not weighted, not rate limited.
    if (method === 'GET' && path.startsWith(ARCHIVE_PREFIX)) return this.#archive(path, nowMs);
    const route = method === 'GET' ? MARKET_DATA_ROUTES.get(path) : undefined;
    this.stats.countRequest(route === undefined ? 'unknown' : path);
    const params = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));
    const weight = route === undefined ? UNKNOWN_PATH_WEIGHT : typeof route.weight === 'number' ? route.weight : route.weight(params);
    const admission = this.#limiter.admit(nowMs, weight);
    if (admission.kind !== 'admitted') {
      return failureReply(admission.failure, { ...admission.headers, 'Retry-After': String(admission.retryAfterSec) });
    }
    this.stats.weightUsed += weight;
    if (route === undefined) return failureReply(binanceErrors.unknownPath(), admission.headers);
    if (route.faulty && this.serverErrorRate > 0 && this.#faults() < this.serverErrorRate) {
      const status = SERVER_ERROR_STATUSES[Math.floor(this.#faults() * SERVER_ERROR_STATUSES.length)] ?? 500;
      return failureReply(binanceErrors.internal(status), admission.headers);
    }
    const result = route.handle(params, this.#context(nowMs));
    if (!result.ok) return failureReply(result.failure, admission.headers);
    return { status: 200, body: result.value, headers: admission.headers };
  }

  snapshot(): SimulatorStats {
    const nowMs = this.#opts.nowMs();
    return this.stats.snapshot(this.#limiter.windows(nowMs), nowMs, this.#limiter.bannedUntil());
  }

  setRateLimits(rules: readonly RateLimitRule[]): void {
    this.#rateLimits = rules;
    this.#limiter.setRules(rules);
  }

  resetStats(): void {
    this.stats = new StatsCounter();
    this.#limiter.resetStats();
  }

  #context(nowMs: number): MarketContext {
    return {
      seed: this.#opts.seed,
      nowMs,
      listedAtMs: this.#opts.listedAtMs,
      holes: this.holes,
      rateLimits: this.#rateLimits,
      books: this.books,
    };
  }

  #archive(path: string, nowMs: number): Reply {
    this.stats.countRequest(ARCHIVE_PREFIX);
    const ctx: ArchiveContext = {
      seed: this.#opts.seed,
      nowMs,
      listedAtMs: this.#opts.listedAtMs,
      holes: this.holes,
      missing: this.#opts.archiveMissing,
      corrupt: this.#opts.archiveCorrupt,
      bombs: this.#opts.archiveBombs,
    };
    const file = serveArchive(path, ctx);
    return { status: file.status, body: file.body, headers: {}, contentType: file.contentType };
  }
}

function send(res: ServerResponse, reply: Reply, core: SimulatorCore): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  core.stats.countStatus(reply.status);
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': reply.contentType ?? JSON_CONTENT_TYPE,
    'Content-Length': body.length,
  });
  res.end(body);
}

/** Starts the WebSocket side: the stream server on `server`'s upgrades and the event tick. */
function startLive(server: Server, resolved: ResolvedOptions, core: SimulatorCore): { ws: WsServer; stop: () => void } {
  const hub = new StreamHub();
  // Disconnect faults draw from their own stream: they never change the data served.
  const ws = new WsServer(resolved.ws, hub, resolved.listedAtMs, createPrng(hashString(`ws-faults|${resolved.seed}`)));
  const feed = new LiveFeed(
    { seed: resolved.seed, listedAtMs: resolved.listedAtMs, holes: core.holes },
    hub,
    core.books,
    resolved.nowMs,
    resolved.ws.firehose,
  );
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => ws.handleUpgrade(req, socket, head));
  let lastTick = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    feed.tick();
    ws.injectFaults(now - lastTick);
    lastTick = now;
  }, resolved.ws.tickMs);
  ticker.unref();
  return {
    ws,
    stop: () => {
      clearInterval(ticker);
      ws.close();
    },
  };
}

/** The host part of the URLs handed out: a wildcard bind is reached on loopback, an IPv6 address in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts a local Binance spot market-data simulator (on 127.0.0.1 unless `host` says otherwise):
 * deterministic klines, aggregate and single trades, order books; Binance's error bodies, weight headers, 429/418 rate limiting,
 * injectable 5xx; a WebSocket stream server and an archive file server on the same port.
 */
export async function startExchangeSimulator(opts: SimulatorOptions = {}): Promise<ExchangeSimulator> {
  const resolved = resolveOptions(opts);
  if (resolved.market !== undefined) installSyntheticMarket(resolved.seed, resolved.market);
  const core = new SimulatorCore(resolved);
  const pending = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = core.handle(req.method, req.url ?? '/');
    if (resolved.latencyMs <= 0) {
      send(res, reply, core);
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      send(res, reply, core);
    }, resolved.latencyMs);
    pending.add(timer);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const live = startLive(server, resolved, core);
  const { port } = server.address() as AddressInfo;
  const authority = `${urlHost(resolved.host)}:${port}`;
  const url = `http://${authority}`;
  const checkListed = (symbol: string): void => {
    if (!resolved.listedAtMs.has(symbol)) throw new RangeError(`symbol ${JSON.stringify(symbol)} is not listed`);
  };
  return {
    url,
    wsUrl: `ws://${authority}`,
    archiveUrl: url,
    stats: () => core.snapshot(),
    resetStats: () => core.resetStats(),
    setServerErrorRate(p: number): void {
      if (!isProbability(p)) throw new RangeError(`serverErrorRate must be within [0, 1], got ${p}`);
      core.serverErrorRate = p;
    },
    setRateLimits: (rules) => core.setRateLimits(rules),
    dropConnections: () => live.ws.dropConnections(),
    serverShutdown: () => live.ws.serverShutdown(resolved.nowMs()),
    injectDepthGap(symbol: string): void {
      checkListed(symbol);
      core.books.injectGap(symbol, resolved.nowMs());
    },
    book(symbol: string): BookLevels {
      checkListed(symbol);
      return core.books.book(symbol, resolved.nowMs()).levels();
    },
    wsStats: () => live.ws.stats(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        live.stop();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}
