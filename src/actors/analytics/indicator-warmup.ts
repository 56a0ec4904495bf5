import { assertNever } from '../../protocol/index.ts';
import type { IndicatorSpec } from '../../protocol/index.ts';

/**
 * Weight the starting state of a recursive indicator (EMA, Wilder's RSI and ATR) may still have in a
 * value read after its warm-up: 1e-8, so a value agrees with one computed over any longer history to
 * about eight significant digits of the seed's difference.
 */
export const SEED_WEIGHT = 1e-8;

/** Candles before an indicator's first value (the index of its first value in a series). */
export function indicatorLookback(spec: IndicatorSpec): number {
  switch (spec.name) {
    case 'ema':
    case 'sma':
    case 'vwap':
      return spec.period - 1;
    case 'rsi':
    case 'atr':
    case 'logret':
    case 'vol':
      return spec.period;
    default:
      return assertNever(spec.name);
  }
}

/** Further candles a recursive filter with decay `keep` per candle needs before its seed weighs less than {@link SEED_WEIGHT}. */
function convergence(keep: number): number {
  return keep <= 0 ? 0 : Math.ceil(Math.log(SEED_WEIGHT) / Math.log(keep));
}

/**
 * Candles an indicator reads before the first value it reports: its lookback, and for the recursive
 * ones (EMA keeps 1 − 2/(N+1) of its state per candle, Wilder's RSI and ATR 1 − 1/N) enough more
 * that their seed weighs less than {@link SEED_WEIGHT}, so a value does not depend on where reading
 * began. Windowed indicators (SMA, VWAP, log return, volatility) forget their start exactly.
 */
export function indicatorWarmup(spec: IndicatorSpec): number {
  switch (spec.name) {
    case 'ema':
      return indicatorLookback(spec) + convergence(1 - 2 / (spec.period + 1));
    case 'rsi':
    case 'atr':
      return indicatorLookback(spec) + convergence(1 - 1 / spec.period);
    case 'sma':
    case 'vwap':
    case 'logret':
    case 'vol':
      return indicatorLookback(spec);
    default:
      return assertNever(spec.name);
  }
}

/** The warm-up of several indicators read together: the longest. */
export function indicatorsWarmup(specs: readonly IndicatorSpec[]): number {
  return specs.reduce((most, spec) => Math.max(most, indicatorWarmup(spec)), 0);
}
