import { assertNever } from '../../protocol/index.ts';
import type { IndicatorSpec } from '../../protocol/index.ts';
import { atr } from './atr.ts';
import type { CandleSeries } from './candle-series.ts';
import { ema } from './ema.ts';
import { logReturns } from './log-return.ts';
import { rollingVolatility } from './rolling-volatility.ts';
import { rollingVwap } from './rolling-vwap.ts';
import { rsi } from './rsi.ts';
import { sma } from './sma.ts';

/**
 * One indicator over a series, one value per candle, NaN during warm-up. Every value at t reads
 * candles up to t only (the indicators are causal filters: no look-ahead).
 */
export function indicatorValues(series: CandleSeries, spec: IndicatorSpec): Float64Array {
  switch (spec.name) {
    case 'ema':
      return ema(series.close, spec.period);
    case 'sma':
      return sma(series.close, spec.period);
    case 'rsi':
      return rsi(series.close, spec.period);
    case 'atr':
      return atr(series, spec.period);
    case 'vwap':
      return rollingVwap(series, spec.period);
    case 'logret':
      return logReturns(series.close, spec.period);
    case 'vol':
      return rollingVolatility(series.close, spec.period);
    default:
      return assertNever(spec.name);
  }
}
