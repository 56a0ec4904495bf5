import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { binanceErrors } from './binance-errors.ts';
import type { BinanceFailure } from './binance-errors.ts';
import { hashString } from './hash.ts';
import { holesFor } from './holes.ts';
import type { SymbolHoles } from './holes.ts';
import { MARKET_DATA_ROUTES } from './market-data-routes.ts';
import type { MarketContext } from './market-data-routes.ts';
import { createPrng } from './prng.ts';
import type { Prng } from './prng.ts';
import { RateLimiter } from './rate-limiter.ts';
import { isProbability, resolveOptions } from './simulator-options.ts';
import type { ResolvedOptions, SimulatorOptions } from './simulator-options.ts';
import { StatsCounter } from './simulator-stats.ts';
import type { SimulatorStats } from './simulator-stats.ts';

/** A running simulator. */
export interface ExchangeSimulator {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  stats(): SimulatorStats;
  resetStats(): void;
  setServerErrorRate(p: number): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8';
const SERVER_ERROR_STATUSES = [500, 502, 503] as const;
const UNKNOWN_PATH_WEIGHT = 1;

interface Reply {
  readonly status: number;
  /** JSON, as text or UTF-8 bytes. */
  readonly body: string | Buffer;
  readonly headers: Record<string, string>;
}

function failureReply(failure: BinanceFailure, headers: Record<string, string>): Reply {
  return { status: failure.status, body: JSON.stringify(failure.body), headers };
}

/** Request handling, separate from the socket plumbing. */
class SimulatorCore {
  readonly #opts: ResolvedOptions;
  readonly #limiter: RateLimiter;
  readonly #holes: ReadonlyMap<string, SymbolHoles>;
  readonly #faults: Prng;
  stats = new StatsCounter();
  serverErrorRate: number;

  constructor(opts: ResolvedOptions) {
    this.#opts = opts;
    this.#limiter = new RateLimiter(opts.rateLimits, opts.banGraceMs);
    this.#holes = new Map([...opts.listedAtMs.keys()].map((symbol) => [symbol, holesFor(symbol, opts.holes)]));
    // Faults draw from their own stream so that injecting them never changes the data served.
    this.#faults = createPrng(hashString(`faults|${opts.seed}`));
    this.serverErrorRate = opts.serverErrorRate;
  }

  handle(method: string | undefined, rawUrl: string): Reply {
    const queryStart = rawUrl.indexOf('?');
    const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const route = method === 'GET' ? MARKET_DATA_ROUTES.get(path) : undefined;
    this.stats.countRequest(route === undefined ? 'unknown' : path);
    const nowMs = this.#opts.nowMs();
    const weight = route?.weight ?? UNKNOWN_PATH_WEIGHT;
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
    const params = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));
    const result = route.handle(params, this.#context(nowMs));
    if (!result.ok) return failureReply(result.failure, admission.headers);
    return { status: 200, body: result.value, headers: admission.headers };
  }

  snapshot(): SimulatorStats {
    const nowMs = this.#opts.nowMs();
    return this.stats.snapshot(this.#limiter.windows(nowMs), nowMs, this.#limiter.bannedUntil());
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
      holes: this.#holes,
      rateLimits: this.#opts.rateLimits,
    };
  }
}

function send(res: ServerResponse, reply: Reply, core: SimulatorCore): void {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  core.stats.countStatus(reply.status);
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': body.length,
  });
  res.end(body);
}

/**
 * Starts a local Binance spot market-data simulator on 127.0.0.1: deterministic klines and
 * aggregate trades, Binance's error bodies, weight headers, 429/418 rate limiting, injectable 5xx.
 */
export async function startExchangeSimulator(opts: SimulatorOptions = {}): Promise<ExchangeSimulator> {
  const resolved = resolveOptions(opts);
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
    server.listen(resolved.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => core.snapshot(),
    resetStats: () => core.resetStats(),
    setServerErrorRate(p: number): void {
      if (!isProbability(p)) throw new RangeError(`serverErrorRate must be within [0, 1], got ${p}`);
      core.serverErrorRate = p;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}
