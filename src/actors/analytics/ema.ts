import { checkPeriod } from './check-period.ts';

/**
 * Exponential moving average as TA-Lib defines it: k = 2 / (period + 1), seeded with the simple
 * average of the first `period` values, so the first value is at index `period − 1`.
 */
export class Ema {
  readonly period: number;
  readonly #k: number;
  #seen = 0;
  #seedSum = 0;
  #value = Number.NaN;

  constructor(period: number) {
    checkPeriod(period);
    this.period = period;
    this.#k = 2 / (period + 1);
  }

  /** Takes the next value; returns the EMA so far, NaN during warm-up. */
  update(value: number): number {
    this.#seen += 1;
    if (this.#seen < this.period) {
      this.#seedSum += value;
      return Number.NaN;
    }
    if (this.#seen === this.period) {
      this.#value = (this.#seedSum + value) / this.period;
      return this.#value;
    }
    // TA-Lib's order of operations, for agreement to the last bits.
    this.#value = (value - this.#value) * this.#k + this.#value;
    return this.#value;
  }
}

/** EMA of a whole series: NaN for the first `period − 1` values. */
export function ema(values: ArrayLike<number>, period: number): Float64Array {
  const state = new Ema(period);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = state.update(values[i] ?? Number.NaN);
  return out;
}
