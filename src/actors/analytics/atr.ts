import { checkPeriod } from './check-period.ts';

/**
 * Average true range as TA-Lib computes it: true range TR_t = max(high_t, close_{t−1}) −
 * min(low_t, close_{t−1}) from the second candle on; the first ATR (index `period`) is the simple
 * average of the first `period` true ranges, then Wilder's ATR ← (ATR · (period − 1) + TR) / period.
 */
export class Atr {
  readonly period: number;
  #previousClose = Number.NaN;
  #ranges = 0;
  #value = 0;

  constructor(period: number) {
    checkPeriod(period);
    this.period = period;
  }

  update(high: number, low: number, close: number): number {
    const previousClose = this.#previousClose;
    this.#previousClose = close;
    if (Number.isNaN(previousClose)) return Number.NaN;
    const trueRange = Math.max(high, previousClose) - Math.min(low, previousClose);
    const n = this.period;
    this.#ranges += 1;
    if (this.#ranges < n) {
      this.#value += trueRange;
      return Number.NaN;
    }
    this.#value = this.#ranges === n ? (this.#value + trueRange) / n : (this.#value * (n - 1) + trueRange) / n;
    return this.#value;
  }
}

/** ATR of a whole series: NaN for the first `period` candles. */
export function atr(candles: { readonly [K in 'high' | 'low' | 'close']: ArrayLike<number> }, period: number): Float64Array {
  const state = new Atr(period);
  const { high, low, close } = candles;
  const out = new Float64Array(close.length);
  for (let i = 0; i < close.length; i++) out[i] = state.update(high[i] ?? Number.NaN, low[i] ?? Number.NaN, close[i] ?? Number.NaN);
  return out;
}
