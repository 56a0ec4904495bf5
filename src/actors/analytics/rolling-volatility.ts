import { checkPeriod } from './check-period.ts';
import { RollingWindow } from './rolling-window.ts';

/**
 * Volatility: the sample standard deviation (n − 1) of the last `period` one-candle log returns,
 * per candle (not annualised). Fed closes, its first value is at index `period`.
 */
export class RollingVolatility {
  readonly #returns: RollingWindow;
  #previousClose = Number.NaN;

  constructor(period: number) {
    checkPeriod(period);
    if (period < 2) throw new RangeError('a volatility needs a period of at least 2 returns');
    this.#returns = new RollingWindow(period);
  }

  /** Takes the next close. */
  update(close: number): number {
    const previous = this.#previousClose;
    this.#previousClose = close;
    if (Number.isNaN(previous)) return Number.NaN;
    return this.updateReturn(Math.log(close / previous));
  }

  /** Takes the next log return directly (when the caller already has it). */
  updateReturn(logReturn: number): number {
    this.#returns.push(logReturn);
    return this.#returns.full ? Math.sqrt(this.#returns.variance()) : Number.NaN;
  }
}

/** Rolling volatility of a whole series of closes: NaN for the first `period` values. */
export function rollingVolatility(closes: ArrayLike<number>, period: number): Float64Array {
  const state = new RollingVolatility(period);
  const out = new Float64Array(closes.length);
  for (let i = 0; i < closes.length; i++) out[i] = state.update(closes[i] ?? Number.NaN);
  return out;
}
