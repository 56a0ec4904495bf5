import { z } from 'zod';
import { IndicatorRow, IndicatorSpecsText } from './indicators.ts';
import { Interval } from './intervals.ts';
import { MarketSymbol } from './market-symbol.ts';
import { Instant } from './time-range.ts';

/** Rows one `indicators` answer holds at most (candles of the range, warm-up not counted). */
export const MAX_INDICATOR_ROWS = 1_000_000;

/** `indicators --format`, `GET /indicators?format=`: a CSV table or one JSON document. */
export const IndicatorsFormat = z.enum(['json', 'csv'], {
  error: (issue) => `invalid format ${JSON.stringify(issue.input)}; accepted: json csv`,
});
export type IndicatorsFormat = z.infer<typeof IndicatorsFormat>;

/** `GET /indicators`: indicators of one symbol's stored candles over `[from, to)`. */
export const IndicatorsQuery = z.object({
  symbol: MarketSymbol,
  interval: Interval,
  from: Instant,
  to: Instant,
  ind: IndicatorSpecsText,
  format: IndicatorsFormat.default('json'),
});
export type IndicatorsQuery = z.infer<typeof IndicatorsQuery>;

/**
 * How the indicators warmed up: stored candles before `from` read first (values at t still use
 * candles up to t only), so the first rows have values wherever the store holds enough history.
 */
export const IndicatorsWarmup = z.object({
  /** Candles the indicators want before their first value (recursive ones until their seed weighs < 1e-8). */
  needed: z.number().int().nonnegative(),
  /** Stored candles read before `from` (fewer than `needed` where the store begins later). */
  candles: z.number().int().nonnegative(),
  /** Open time of the first candle read (the range's start when none was read before it). */
  from: z.iso.datetime(),
  from_ms: z.number().int(),
});
export type IndicatorsWarmup = z.infer<typeof IndicatorsWarmup>;

/** `indicators --format json`, `GET /indicators`: one row per stored candle of `[from, to)`, `null` while an indicator warms up. */
export const IndicatorsBody = z.object({
  symbol: z.string(),
  interval: Interval,
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  from_ms: z.number().int(),
  to_ms: z.number().int(),
  /** `open_time` (epoch ms), then one column per indicator: `ema_20`, `rsi_14`, `log_return`, … */
  columns: z.array(z.string()),
  warmup: IndicatorsWarmup,
  count: z.number().int().nonnegative(),
  rows: z.array(IndicatorRow),
});
export type IndicatorsBody = z.infer<typeof IndicatorsBody>;
