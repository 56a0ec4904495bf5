import {
  ErrorCodes,
  ExchangeError,
  ExchangeErrorBody,
  ExchangeInfo,
  KlineRows,
  AggTradeRows,
  TradeRows,
  DepthSnapshotBody,
  ServerTime,
  parseJsonOrUndefined,
} from '../../protocol/index.ts';
import type { AggTradeRow, DepthSnapshotBody as DepthSnapshot, Interval, KlineRow, TradeRow } from '../../protocol/index.ts';
import type { z } from 'zod';
import type { Clock, HttpClient, HttpResponse, Logger, Metrics } from '../ports/index.ts';
import { legacyRetryPolicy, retry } from '../retry/index.ts';
import type { BackoffPolicy } from '../retry/index.ts';
import { WeightPacer } from './weight-pacer.ts';

export interface BinanceRestOptions {
  readonly baseUrl: string;
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** How a request is retried on retriable failures (network, 5xx, 429): the configuration's `exchangeRequest` policy. */
  readonly retry?: BackoffPolicy;
  /**
   * Attempts per request, for callers without a policy (the `retry` module's legacy backoff).
   * @deprecated Pass `retry`. @defaultValue 6
   */
  readonly maxAttempts?: number;
  /** Share of each advertised weight window to use. @defaultValue 0.97 */
  readonly weightTarget?: number;
  /** Longest `Retry-After` worth waiting for; a longer ban fails the request. @defaultValue 300 */
  readonly maxRetryAfterSeconds?: number;
  readonly signal?: AbortSignal;
}

/** Endpoint weights from Binance's documentation (limit-dependent ones at our limits). */
const WEIGHT = { exchangeInfo: 20, time: 1, klines: 2, aggTrades: 4, historicalTrades: 25 } as const;

/** `GET /api/v3/depth` weight by limit. */
export function depthWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

/** Which aggregate trades to ask for: from an id (paging), or the first ones at or after a time. */
export type AggTradesQuery =
  | { readonly fromId: number; readonly limit?: number }
  | { readonly startTime: number; readonly endTime: number; readonly limit?: number }
  /** The newest `limit` trades. */
  | { readonly recent: true; readonly limit?: number };

/**
 * Binance spot REST market data: paced to the advertised weight limits, `Retry-After` honoured
 * on 429/418, 5xx and network errors retried with jittered backoff, 4xx failed at once with the
 * exchange's own message. Decimals stay strings, exactly as sent.
 */
export class BinanceRestClient {
  readonly #o: BinanceRestOptions;
  #pacer: WeightPacer | undefined;
  #serverOffsetMs = 0;

  constructor(options: BinanceRestOptions) {
    this.#o = options;
  }

  /** Reads the advertised rate limits and the server clock; checks that `symbol` exists. */
  async init(symbol: string): Promise<void> {
    const info = await this.#getParsed('exchangeInfo', `/api/v3/exchangeInfo?symbol=${encodeURIComponent(symbol)}`, WEIGHT.exchangeInfo, ExchangeInfo);
    this.#pacer = new WeightPacer(info.rateLimits, this.#o.clock, this.#o.weightTarget ?? 0.97);
    const before = this.#o.clock.now();
    const time = await this.#getParsed('time', '/api/v3/time', WEIGHT.time, ServerTime);
    const after = this.#o.clock.now();
    this.#serverOffsetMs = time.serverTime - (before + after) / 2;
    this.#pacer.setServerOffset(this.#serverOffsetMs);
  }

  /** Klines with open time in `[startTime, endTime]` (inclusive, as the exchange defines it), oldest first. */
  async klines(symbol: string, interval: Interval, startTime: number, endTime: number, limit = 1000): Promise<KlineRow[]> {
    const q = `symbol=${encodeURIComponent(symbol)}&interval=${interval}&startTime=${startTime}&endTime=${endTime}&limit=${limit}`;
    return this.#getParsed('klines', `/api/v3/klines?${q}`, WEIGHT.klines, KlineRows);
  }

  /**
   * Aggregate trades, oldest first. Page with `fromId = last a + 1`: paging by time loses trades
   * sharing a millisecond. A time window (at most an hour, as the exchange requires) finds where to start.
   */
  async aggTrades(symbol: string, query: AggTradesQuery): Promise<AggTradeRow[]> {
    const limit = query.limit ?? 1000;
    const where = 'fromId' in query ? `&fromId=${query.fromId}` : 'startTime' in query ? `&startTime=${query.startTime}&endTime=${query.endTime}` : '';
    return this.#getParsed('aggTrades', `/api/v3/aggTrades?symbol=${encodeURIComponent(symbol)}${where}&limit=${limit}`, WEIGHT.aggTrades, AggTradeRows);
  }

  /** Single trades from `fromId`, oldest first (weight 25). */
  async historicalTrades(symbol: string, fromId: number, limit = 1000): Promise<TradeRow[]> {
    const q = `symbol=${encodeURIComponent(symbol)}&fromId=${fromId}&limit=${limit}`;
    return this.#getParsed('historicalTrades', `/api/v3/historicalTrades?${q}`, WEIGHT.historicalTrades, TradeRows);
  }

  /** An order book snapshot with its `lastUpdateId`. */
  async depth(symbol: string, limit = 1000): Promise<DepthSnapshot> {
    return this.#getParsed('depth', `/api/v3/depth?symbol=${encodeURIComponent(symbol)}&limit=${limit}`, depthWeight(limit), DepthSnapshotBody);
  }

  /** The exchange's clock as measured at init (local clock before that). */
  serverNow(): number {
    return this.#o.clock.now() + this.#serverOffsetMs;
  }

  /** Weight used against weight allowed, as the pacer saw it. */
  pacerStats() {
    return this.#pacer?.stats();
  }

  async #getParsed<T>(endpoint: string, path: string, weight: number, schema: z.ZodType<T>): Promise<T> {
    const parsed = schema.safeParse(await this.#getJson(endpoint, path, weight));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ExchangeError(
        ErrorCodes.EXCHANGE_RESPONSE_INVALID,
        `${endpoint} response is not in Binance's format: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
      );
    }
    return parsed.data;
  }

  async #getJson(endpoint: string, path: string, weight: number): Promise<unknown> {
    const { clock, log, signal } = this.#o;
    return retry(
      async (): Promise<unknown> => {
        await this.#pacer?.acquire(weight, signal);
        const started = clock.now();
        let res: HttpResponse;
        try {
          res = await this.#o.http.get(`${this.#o.baseUrl}${path}`, signal ? { signal } : {});
        } catch (err) {
          this.#pacer?.release(weight);
          throw err;
        }
        this.#pacer?.settle(weight, res.headers);
        this.#o.metrics.exchangeRequest(endpoint, res.status, (clock.now() - started) / 1000);
        if (this.#pacer) this.#o.metrics.exchangeWeightUsedRatio(this.#pacer.usedRatio());
        if (res.status === 200) return parseJson(res.body, endpoint);
        throw this.#errorFor(endpoint, res);
      },
      this.#o.retry ?? legacyRetryPolicy({ maxAttempts: this.#o.maxAttempts ?? 6 }),
      {
        clock,
        signal,
        onRetry: (err, attempt, delayMs) => log.warn({ err, endpoint, attempt, delay_ms: delayMs }, 'exchange request retried'),
      },
    );
  }

  #errorFor(endpoint: string, res: HttpResponse): ExchangeError {
    const body = ExchangeErrorBody.safeParse(parseJsonOrUndefined(res.body));
    const detail = body.success ? `${body.data.msg} (code ${body.data.code})` : `HTTP ${res.status}`;
    const retryAfter = Number(res.headers['retry-after']);
    const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined;
    const max = this.#o.maxRetryAfterSeconds ?? 300;
    const status = res.status;
    const wait = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
    if (status === 429 || status === 418) {
      const code = status === 429 ? ErrorCodes.EXCHANGE_RATE_LIMITED : ErrorCodes.EXCHANGE_BANNED;
      const tooLong = retryAfterSeconds !== undefined && retryAfterSeconds > max;
      return new ExchangeError(code, `exchange ${status === 429 ? 'rate limit hit' : 'banned this IP'} on ${endpoint}: ${detail}`, {
        status,
        retriable: !tooLong,
        ...wait,
      });
    }
    if (status >= 500) {
      return new ExchangeError(ErrorCodes.EXCHANGE_UNAVAILABLE, `exchange error on ${endpoint}: ${detail}`, { status, retriable: true, ...wait });
    }
    return new ExchangeError(ErrorCodes.EXCHANGE_BAD_REQUEST, `exchange rejected ${endpoint}: ${detail}`, { status, retriable: false });
  }
}


function parseJson(text: string, endpoint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ExchangeError(ErrorCodes.EXCHANGE_RESPONSE_INVALID, `${endpoint} answered with invalid JSON`, { cause: err, retriable: true });
  }
}
