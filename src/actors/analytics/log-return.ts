import { checkPeriod } from './check-period.ts';
import { RollingWindow } from './rolling-window.ts';

/** ln(close_t / close_{t−span}): the first value at index `span`. */
export class LogReturn {
  readonly span: number;
  readonly #closes: RollingWindow;

  constructor(span = 1) {
    checkPeriod(span, 'span');
    this.span = span;
    this.#closes = new RollingWindow(span + 1);
  }

  update(close: number): number {
    this.#closes.push(close);
    return this.#closes.full ? Math.log(close / this.#closes.at(this.span)) : Number.NaN;
  }
}

/** Log returns of a whole series of closes over `span` candles: NaN for the first `span`. */
export function logReturns(closes: ArrayLike<number>, span = 1): Float64Array {
  const state = new LogReturn(span);
  const out = new Float64Array(closes.length);
  for (let i = 0; i < closes.length; i++) out[i] = state.update(closes[i] ?? Number.NaN);
  return out;
}
