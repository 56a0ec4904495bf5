import { checkPeriod } from './check-period.ts';
import { RollingWindow } from './rolling-window.ts';

/**
 * Volume-weighted average price over the last `period` candles: Σ typical · volume / Σ volume with
 * typical = (high + low + close) / 3. First value at index `period − 1`; NaN where the window
 * traded nothing.
 */
export class RollingVwap {
  readonly #weighted: RollingWindow;
  readonly #volume: RollingWindow;

  constructor(period: number) {
    checkPeriod(period);
    this.#weighted = new RollingWindow(period);
    this.#volume = new RollingWindow(period);
  }

  /** Whether `period` candles have been seen (the VWAP is then defined unless the window traded nothing). */
  get warm(): boolean {
    return this.#volume.full;
  }

  update(high: number, low: number, close: number, volume: number): number {
    this.#weighted.push(((high + low + close) / 3) * volume);
    this.#volume.push(volume);
    if (!this.#volume.full) return Number.NaN;
    const traded = this.#volume.sum();
    return traded > 0 ? this.#weighted.sum() / traded : Number.NaN;
  }
}

/** Rolling VWAP of a whole series: NaN for the first `period − 1` candles. */
export function rollingVwap(candles: { readonly [K in 'high' | 'low' | 'close' | 'volume']: ArrayLike<number> }, period: number): Float64Array {
  const state = new RollingVwap(period);
  const { high, low, close, volume } = candles;
  const out = new Float64Array(close.length);
  for (let i = 0; i < close.length; i++) {
    out[i] = state.update(high[i] ?? Number.NaN, low[i] ?? Number.NaN, close[i] ?? Number.NaN, volume[i] ?? Number.NaN);
  }
  return out;
}
