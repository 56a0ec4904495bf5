import { checkPeriod } from './check-period.ts';

/**
 * Relative strength index with Wilder's smoothing, as TA-Lib computes it: the first average gain
 * and loss are simple averages of the first `period` changes (first value at index `period`),
 * then avg ← (avg · (period − 1) + change) / period; RSI = 100 · gain / (gain + loss).
 * Where both averages are exactly 0 (no movement at all) the RSI is 50, neutral; TA-Lib answers 0
 * there, and also whenever gain + loss is below 1e-8, an absolute cut-off that misreads sub-cent
 * coins: we do not copy it.
 */
export class Rsi {
  readonly period: number;
  #previous = Number.NaN;
  #changes = 0;
  #gain = 0;
  #loss = 0;

  constructor(period: number) {
    checkPeriod(period);
    this.period = period;
  }

  update(value: number): number {
    const previous = this.#previous;
    this.#previous = value;
    if (Number.isNaN(previous)) return Number.NaN;
    const change = value - previous;
    const up = change > 0 ? change : 0;
    const down = change < 0 ? -change : 0;
    const n = this.period;
    this.#changes += 1;
    if (this.#changes < n) {
      this.#gain += up;
      this.#loss += down;
      return Number.NaN;
    }
    if (this.#changes === n) {
      this.#gain = (this.#gain + up) / n;
      this.#loss = (this.#loss + down) / n;
    } else {
      this.#gain = (this.#gain * (n - 1) + up) / n;
      this.#loss = (this.#loss * (n - 1) + down) / n;
    }
    const total = this.#gain + this.#loss;
    return total === 0 ? 50 : (100 * this.#gain) / total;
  }
}

/** RSI of a whole series of closes: NaN for the first `period` values. */
export function rsi(closes: ArrayLike<number>, period: number): Float64Array {
  const state = new Rsi(period);
  const out = new Float64Array(closes.length);
  for (let i = 0; i < closes.length; i++) out[i] = state.update(closes[i] ?? Number.NaN);
  return out;
}
