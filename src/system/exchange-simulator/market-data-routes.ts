import { queryAggTrades } from './agg-trade-query.ts';
import { binanceErrors } from './binance-errors.ts';
import { exchangeInfo } from './exchange-info.ts';
import type { SymbolHoles } from './holes.ts';
import { isKlineInterval } from './intervals.ts';
import { klineSeries } from './kline-generator.ts';
import { klinesJson } from './kline-json.ts';
import { klineOpenTimes } from './kline-query.ts';
import type { DepthBooks } from './depth-books.ts';
import type { RateLimitRule } from './rate-limiter.ts';
import { queryTrades } from './trade-query.ts';
import { checkSymbol, ok, readLimit, readLong, readMandatory, readTimeRange, rejected } from './request-params.ts';
import type { Parsed } from './request-params.ts';

/** What a route sees of the simulator. */
export interface MarketContext {
  readonly seed: number;
  readonly nowMs: number;
  readonly listedAtMs: ReadonlyMap<string, number>;
  readonly holes: ReadonlyMap<string, SymbolHoles>;
  readonly rateLimits: readonly RateLimitRule[];
  readonly books: DepthBooks;
}

/** A GET endpoint: its request weight (fixed or by parameters), whether injected 5xx faults apply, and its handler. */
export interface Route {
  readonly weight: number | ((params: URLSearchParams) => number);
  readonly faulty: boolean;
  /** The response body as JSON (text or UTF-8 bytes), or the Binance error. */
  handle(params: URLSearchParams, ctx: MarketContext): Parsed<string | Buffer>;
}

function json(result: Parsed<unknown>): Parsed<string> {
  return result.ok ? ok(JSON.stringify(result.value)) : result;
}

const ONE_HOUR_MS = 3_600_000;

function klines(params: URLSearchParams, ctx: MarketContext): Parsed<Buffer> {
  const symbolParam = readMandatory(params, 'symbol');
  if (!symbolParam.ok) return symbolParam;
  const intervalParam = readMandatory(params, 'interval');
  if (!intervalParam.ok) return intervalParam;
  const symbol = checkSymbol(symbolParam.value, ctx.listedAtMs);
  if (!symbol.ok) return symbol;
  const interval = intervalParam.value;
  if (!isKlineInterval(interval)) return rejected(binanceErrors.invalidInterval());
  const range = readTimeRange(params);
  if (!range.ok) return range;
  const limit = readLimit(params);
  if (!limit.ok) return limit;
  const openTimes = klineOpenTimes({
    seed: ctx.seed,
    symbol: symbol.value,
    interval,
    listedAtMs: ctx.listedAtMs.get(symbol.value) ?? 0,
    holes: ctx.holes.get(symbol.value) ?? [],
    nowMs: ctx.nowMs,
    startTime: range.value.startTime,
    endTime: range.value.endTime,
    limit: limit.value,
  });
  return ok(klinesJson(klineSeries(ctx.seed, symbol.value, interval), openTimes, ctx.nowMs));
}

function aggTrades(params: URLSearchParams, ctx: MarketContext): Parsed<unknown> {
  const symbolParam = readMandatory(params, 'symbol');
  if (!symbolParam.ok) return symbolParam;
  const symbol = checkSymbol(symbolParam.value, ctx.listedAtMs);
  if (!symbol.ok) return symbol;
  const fromId = readLong(params, 'fromId');
  if (!fromId.ok) return fromId;
  const range = readTimeRange(params);
  if (!range.ok) return range;
  const { startTime, endTime } = range.value;
  if (startTime !== undefined && endTime !== undefined && endTime - startTime > ONE_HOUR_MS) {
    return rejected(binanceErrors.rangeTooLong());
  }
  const limit = readLimit(params);
  if (!limit.ok) return limit;
  return ok(
    queryAggTrades({
      seed: ctx.seed,
      symbol: symbol.value,
      listedAtMs: ctx.listedAtMs.get(symbol.value) ?? 0,
      holes: ctx.holes.get(symbol.value) ?? [],
      nowMs: ctx.nowMs,
      fromId: fromId.value,
      startTime,
      endTime,
      limit: limit.value,
    }),
  );
}

const DEPTH_DEFAULT_LIMIT = 100;
const DEPTH_MAX_LIMIT = 5000;

/** The depth limit asked for: default 100, above 5000 truncated to 5000 as Binance does, below 1 is -1130. */
function depthLimit(params: URLSearchParams): Parsed<number> {
  const limit = readLong(params, 'limit');
  if (!limit.ok) return limit;
  const value = limit.value ?? DEPTH_DEFAULT_LIMIT;
  return value < 1 ? rejected(binanceErrors.invalidParamValue('limit')) : ok(Math.min(value, DEPTH_MAX_LIMIT));
}

/** Binance's depth weight: 5/25/50/250 for limit <=100/<=500/<=1000/<=5000. */
export function depthWeight(params: URLSearchParams): number {
  const limit = depthLimit(params);
  const value = limit.ok ? limit.value : DEPTH_DEFAULT_LIMIT;
  if (value <= 100) return 5;
  if (value <= 500) return 25;
  if (value <= 1000) return 50;
  return 250;
}

function depth(params: URLSearchParams, ctx: MarketContext): Parsed<unknown> {
  const symbolParam = readMandatory(params, 'symbol');
  if (!symbolParam.ok) return symbolParam;
  const symbol = checkSymbol(symbolParam.value, ctx.listedAtMs);
  if (!symbol.ok) return symbol;
  const limit = depthLimit(params);
  if (!limit.ok) return limit;
  return ok(ctx.books.restSnapshot(symbol.value, limit.value, ctx.nowMs));
}

function historicalTrades(params: URLSearchParams, ctx: MarketContext): Parsed<unknown> {
  const symbolParam = readMandatory(params, 'symbol');
  if (!symbolParam.ok) return symbolParam;
  const symbol = checkSymbol(symbolParam.value, ctx.listedAtMs);
  if (!symbol.ok) return symbol;
  const fromId = readLong(params, 'fromId');
  if (!fromId.ok) return fromId;
  const limit = readLimit(params);
  if (!limit.ok) return limit;
  return ok(
    queryTrades({
      seed: ctx.seed,
      symbol: symbol.value,
      listedAtMs: ctx.listedAtMs.get(symbol.value) ?? 0,
      holes: ctx.holes.get(symbol.value) ?? [],
      nowMs: ctx.nowMs,
      fromId: fromId.value,
      limit: limit.value,
    }),
  );
}

/** The spot market-data endpoints the simulator serves, by path. */
export const MARKET_DATA_ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/api/v3/ping', { weight: 1, faulty: false, handle: () => ok('{}') }],
  ['/api/v3/time', { weight: 1, faulty: false, handle: (_params, ctx) => json(ok({ serverTime: ctx.nowMs })) }],
  [
    '/api/v3/exchangeInfo',
    {
      weight: 20,
      faulty: false,
      handle: (params, ctx) => json(exchangeInfo(params, ctx.listedAtMs, ctx.rateLimits, ctx.nowMs)),
    },
  ],
  ['/api/v3/klines', { weight: 2, faulty: true, handle: klines }],
  ['/api/v3/aggTrades', { weight: 4, faulty: true, handle: (params, ctx) => json(aggTrades(params, ctx)) }],
  ['/api/v3/historicalTrades', { weight: 25, faulty: true, handle: (params, ctx) => json(historicalTrades(params, ctx)) }],
  ['/api/v3/depth', { weight: depthWeight, faulty: true, handle: (params, ctx) => json(depth(params, ctx)) }],
]);
