import { IndicatorSet, indicatorsWarmup, warmupStart } from '../../actors/analytics/index.ts';
import type { Store } from '../../actors/index.ts';
import { approximateIntervalCount, MAX_INDICATOR_ROWS, ValidationError } from '../../protocol/index.ts';
import type { Candle, IndicatorRow, IndicatorSpec, IndicatorsWarmup, Interval } from '../../protocol/index.ts';
import { candleSeriesType } from './candle-query.ts';
import { noCandlesError } from './no-candles-error.ts';
import { readSeries } from './series-query.ts';

export interface IndicatorRequest {
  readonly symbol: string;
  readonly interval: Interval;
  readonly fromMs: number;
  readonly toMs: number;
  readonly specs: readonly IndicatorSpec[];
  /** Stops the store reads when aborted (the caller went away). */
  readonly signal?: AbortSignal;
}

export interface IndicatorStream {
  readonly request: IndicatorRequest;
  readonly columns: readonly string[];
  readonly warmup: IndicatorsWarmup;
  /** One row per stored candle of `[fromMs, toMs)`, computed as the candles are read. */
  readonly rows: AsyncGenerator<IndicatorRow>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Indicators of one symbol's stored candles over `[fromMs, toMs)`, as a stream in flat memory. The
 * indicators first read the stored candles before `fromMs` they need to warm up (see
 * `indicatorWarmup`), so the first rows have values; a value at t still reads candles up to t only.
 * The warm-up is consumed before this resolves: a symbol with no candle in the range is an error
 * naming how to load it, not an empty answer.
 */
export async function readIndicators(store: Store, req: IndicatorRequest): Promise<IndicatorStream> {
  if (req.fromMs >= req.toMs) throw new ValidationError('invalid range: from must be before to (the range is half-open: [from, to))');
  const slots = approximateIntervalCount(req.interval, req.fromMs, req.toMs);
  if (slots > MAX_INDICATOR_ROWS) {
    throw new ValidationError(
      `the range holds about ${slots.toLocaleString('en-US')} ${req.interval} candles; accepted: at most ${MAX_INDICATOR_ROWS.toLocaleString('en-US')} rows per request (ask for a shorter range, or a longer interval)`,
    );
  }
  const needed = indicatorsWarmup(req.specs);
  const { records } = await readSeries(store, {
    symbol: req.symbol,
    type: candleSeriesType(req.interval),
    fromMs: warmupStart(req.interval, req.fromMs, needed),
    toMs: req.toMs,
    ...(req.signal ? { signal: req.signal } : {}),
  });
  const set = new IndicatorSet(req.specs);
  let read = 0;
  let firstRead: number | undefined;
  let first: IndicatorRow | undefined;
  for (;;) {
    const next = await records.next();
    if (next.done === true) break;
    const candle = next.value as Candle;
    const row = set.update(candle);
    if (candle.open_time >= req.fromMs) {
      first = row;
      break;
    }
    firstRead ??= candle.open_time;
    read += 1;
  }
  if (first === undefined) throw noCandlesError([req.symbol], req.interval, req.fromMs, req.toMs);
  const warmup: IndicatorsWarmup = { needed, candles: read, from: iso(firstRead ?? req.fromMs), from_ms: firstRead ?? req.fromMs };
  const head = first;
  async function* rows(): AsyncGenerator<IndicatorRow> {
    yield head;
    for await (const record of records) yield set.update(record as Candle);
  }
  return { request: req, columns: set.columns, warmup, rows: rows() };
}
