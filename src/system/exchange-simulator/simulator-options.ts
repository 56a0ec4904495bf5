import { SyntheticMarket } from '../synthetic-market/index.ts';
import type { SyntheticMarketSpec } from '../synthetic-market/index.ts';
import type { ArchiveBombSpec } from './archive-bomb.ts';
import type { Hole } from './holes.ts';
import type { RateLimitRule } from './rate-limiter.ts';
import { isLegalSymbol } from './request-params.ts';
import {
  DEFAULT_BAN_GRACE_MS,
  DEFAULT_LISTED_AT_MS,
  DEFAULT_RATE_LIMITS,
  DEFAULT_SEED,
  DEFAULT_SYMBOLS,
} from './simulator-defaults.ts';
import { resolveWsOptions } from './ws-options.ts';
import type { ResolvedWsOptions, WsOptions } from './ws-options.ts';

/** Faults of the archive file server (`/data/...`). */
export interface ArchiveOptions {
  /** File names (e.g. `BTCUSDT-1m-2024-07.zip`) answered with 404, their `.CHECKSUM` too. */
  readonly missing?: readonly string[];
  /** File names served with bytes that do not match their `.CHECKSUM`. */
  readonly corrupt?: readonly string[];
  /** File names served as zip bombs of their real data (see `archiveBomb`), with a matching `.CHECKSUM`. */
  readonly bombs?: Readonly<Record<string, ArchiveBombSpec>>;
}

/** How to start an exchange simulator. */
export interface SimulatorOptions {
  /** Listed symbols; each listed at `listedAtMs` (default 2017-01-01T00:00:00Z). @defaultValue BTCUSDT, ETHUSDT, PEPEUSDT */
  readonly symbols?: Record<string, { listedAtMs?: number }>;
  /** Data seed: same seed, same klines and trades. @defaultValue 1 */
  readonly seed?: number;
  /** The exchange's clock: the still-open candle, rate-limit windows, live events and book steps follow it. @defaultValue Date.now */
  readonly nowMs?: () => number;
  /** Advertised and enforced (REQUEST_WEIGHT, RAW_REQUESTS) limits. @defaultValue 6000 weight/1 MINUTE, 61000 raw/5 MINUTE, 100 orders/10 SECOND */
  readonly rateLimits?: readonly RateLimitRule[];
  /** Probability of a random 500/502/503 (-1001) on klines, aggTrades, historicalTrades and depth. @defaultValue 0 */
  readonly serverErrorRate?: number;
  /** Delay before each response. @defaultValue 0 */
  readonly latencyMs?: number;
  /** Maintenance windows: no kline or trade with an open time in [fromMs, toMs); all symbols if `symbol` is omitted. */
  readonly holes?: readonly Hole[];
  /** @defaultValue 0 (a free port) */
  readonly port?: number;
  /** The address it binds: loopback unless told otherwise (`streamforge simulate --host`). @defaultValue 127.0.0.1 */
  readonly host?: string;
  /**
   * Requests arriving within this long (by `nowMs`) of the first 429 were already in flight: they get
   * 429s, not a ban. Set 0 to ban the very next request sent during the back-off. @defaultValue 100
   */
  readonly banGraceMs?: number;
  /** The WebSocket server on the same port (`/ws/<stream>`, `/stream?streams=a/b`). */
  readonly ws?: WsOptions;
  /** The archive file server on the same port (`/data/spot/...`). */
  readonly archive?: ArchiveOptions;
  /**
   * A synthetic market its symbols' prices follow (REST and archive klines, trades, books and live
   * events alike), e.g. `{ kind: 'planted-clusters', symbols: […12], seed: 7 }`. Those symbols are
   * listed (from the market's start unless `symbols` says otherwise); other symbols keep their
   * default prices. The market is tied to the data `seed` for the life of the process.
   */
  readonly market?: SyntheticMarketSpec;
}

/** Options with defaults applied, checked once. */
export interface ResolvedOptions {
  readonly listedAtMs: ReadonlyMap<string, number>;
  readonly seed: number;
  readonly nowMs: () => number;
  readonly rateLimits: readonly RateLimitRule[];
  readonly serverErrorRate: number;
  readonly latencyMs: number;
  readonly holes: readonly Hole[];
  readonly port: number;
  readonly host: string;
  readonly banGraceMs: number;
  readonly ws: ResolvedWsOptions;
  readonly archiveMissing: ReadonlySet<string>;
  readonly archiveCorrupt: ReadonlySet<string>;
  readonly archiveBombs: ReadonlyMap<string, ArchiveBombSpec>;
  readonly market: SyntheticMarket | undefined;
}

/** Applies defaults and reports every invalid option in one RangeError. */
export function resolveOptions(opts: SimulatorOptions): ResolvedOptions {
  const problems: string[] = [];
  const symbols = opts.symbols ?? DEFAULT_SYMBOLS;
  const listedAtMs = new Map<string, number>();
  for (const [symbol, spec] of Object.entries(symbols)) {
    if (!isLegalSymbol(symbol)) problems.push(`symbol ${JSON.stringify(symbol)} is not ^[A-Z0-9-_.]{1,20}$`);
    listedAtMs.set(symbol, spec.listedAtMs ?? DEFAULT_LISTED_AT_MS);
  }
  const market = syntheticMarket(opts.market, problems);
  for (const symbol of market?.spec.symbols ?? []) {
    if (!isLegalSymbol(symbol)) problems.push(`market symbol ${JSON.stringify(symbol)} is not ^[A-Z0-9-_.]{1,20}$`);
    if (!listedAtMs.has(symbol)) listedAtMs.set(symbol, market?.startMs ?? DEFAULT_LISTED_AT_MS);
  }
  if (listedAtMs.size === 0) problems.push('symbols: at least one symbol is needed');
  const serverErrorRate = opts.serverErrorRate ?? 0;
  if (!isProbability(serverErrorRate)) problems.push('serverErrorRate must be within [0, 1]');
  const latencyMs = opts.latencyMs ?? 0;
  if (!(latencyMs >= 0)) problems.push('latencyMs must be >= 0');
  const banGraceMs = opts.banGraceMs ?? DEFAULT_BAN_GRACE_MS;
  if (!(banGraceMs >= 0)) problems.push('banGraceMs must be >= 0');
  const rateLimits = opts.rateLimits ?? DEFAULT_RATE_LIMITS;
  for (const rule of rateLimits) {
    if (!(Number.isInteger(rule.intervalNum) && rule.intervalNum > 0 && rule.limit > 0)) {
      problems.push(`rate limit ${JSON.stringify(rule)} needs a positive intervalNum and limit`);
    }
  }
  for (const hole of opts.holes ?? []) {
    if (!(hole.toMs > hole.fromMs)) problems.push(`hole ${JSON.stringify(hole)} must have toMs > fromMs`);
  }
  const ws = resolveWsOptions(opts.ws ?? {}, listedAtMs, problems);
  if (problems.length > 0) throw new RangeError(`invalid exchange simulator options:\n- ${problems.join('\n- ')}`);
  return {
    listedAtMs,
    seed: opts.seed ?? DEFAULT_SEED,
    nowMs: opts.nowMs ?? Date.now,
    rateLimits,
    serverErrorRate,
    latencyMs,
    holes: opts.holes ?? [],
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    banGraceMs,
    ws,
    archiveMissing: new Set(opts.archive?.missing ?? []),
    archiveCorrupt: new Set(opts.archive?.corrupt ?? []),
    archiveBombs: new Map(Object.entries(opts.archive?.bombs ?? {})),
    market,
  };
}

function syntheticMarket(spec: SyntheticMarketSpec | undefined, problems: string[]): SyntheticMarket | undefined {
  if (spec === undefined) return undefined;
  try {
    return new SyntheticMarket(spec);
  } catch (err) {
    problems.push(`market: ${(err as Error).message}`);
    return undefined;
  }
}

export function isProbability(p: number): boolean {
  return p >= 0 && p <= 1;
}
