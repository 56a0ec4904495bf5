import { checkPeriod } from './check-period.ts';
import { RollingWindow } from './rolling-window.ts';

/** Simple moving average of the last `period` values; the first at index `period − 1`. */
export class Sma {
  readonly #window: RollingWindow;

  constructor(period: number) {
    checkPeriod(period);
    this.#window = new RollingWindow(period);
  }

  update(value: number): number {
    this.#window.push(value);
    return this.#window.full ? this.#window.mean() : Number.NaN;
  }
}

/** SMA of a whole series: NaN for the first `period − 1` values. */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  const state = new Sma(period);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = state.update(values[i] ?? Number.NaN);
  return out;
}
