import { ValidationError } from '../../protocol/index.ts';
import type { Candle } from '../../protocol/index.ts';

/** The fields of a stored candle the analytics read: decimal strings as the exchange sent them. */
export type CandleFields = Pick<Candle, 'open_time' | 'open' | 'high' | 'low' | 'close' | 'volume'>;

/** Candles of one symbol as float64 columns, each decimal parsed once (nearest double). */
export interface CandleSeries {
  readonly length: number;
  readonly openTime: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** Columns of `candles`, which must be in strictly increasing open time (as the store returns them). */
export function candleSeries(candles: readonly CandleFields[]): CandleSeries {
  const n = candles.length;
  const series = {
    length: n,
    openTime: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const c = candles[i];
    if (c === undefined) continue;
    if (!(c.open_time > previous)) {
      throw new ValidationError(`candles must be in strictly increasing open time: ${c.open_time} follows ${previous}`);
    }
    previous = c.open_time;
    series.openTime[i] = c.open_time;
    series.open[i] = Number(c.open);
    series.high[i] = Number(c.high);
    series.low[i] = Number(c.low);
    series.close[i] = Number(c.close);
    series.volume[i] = Number(c.volume);
  }
  return series;
}
