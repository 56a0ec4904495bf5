import { assertNever, indicatorColumn } from '../../protocol/index.ts';
import type { IndicatorRow, IndicatorSpec } from '../../protocol/index.ts';
import { Atr } from './atr.ts';
import type { CandleFields } from './candle-series.ts';
import { Ema } from './ema.ts';
import { LogReturn } from './log-return.ts';
import { RollingVolatility } from './rolling-volatility.ts';
import { RollingVwap } from './rolling-vwap.ts';
import { Rsi } from './rsi.ts';
import { Sma } from './sma.ts';

/** One candle's numbers, parsed once for every indicator. */
interface Bar {
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

type Step = (bar: Bar) => number;

function stepOf(spec: IndicatorSpec): Step {
  switch (spec.name) {
    case 'ema': {
      const s = new Ema(spec.period);
      return (b) => s.update(b.close);
    }
    case 'sma': {
      const s = new Sma(spec.period);
      return (b) => s.update(b.close);
    }
    case 'rsi': {
      const s = new Rsi(spec.period);
      return (b) => s.update(b.close);
    }
    case 'atr': {
      const s = new Atr(spec.period);
      return (b) => s.update(b.high, b.low, b.close);
    }
    case 'vwap': {
      const s = new RollingVwap(spec.period);
      return (b) => s.update(b.high, b.low, b.close, b.volume);
    }
    case 'logret': {
      const s = new LogReturn(spec.period);
      return (b) => s.update(b.close);
    }
    case 'vol': {
      const s = new RollingVolatility(spec.period);
      return (b) => s.update(b.close);
    }
    default:
      return assertNever(spec.name);
  }
}

/**
 * Several indicators of one symbol fed a candle at a time, in increasing open time: the streaming
 * form of `indicatorTable` (the same filters, the same values), so a long range is computed as it
 * is read, in flat memory. A row at t reads candles up to t only.
 */
export class IndicatorSet {
  /** `open_time`, then one column per indicator in the order given. */
  readonly columns: readonly string[];
  readonly #names: readonly string[];
  readonly #steps: readonly Step[];
  #lastOpen = Number.NEGATIVE_INFINITY;

  constructor(specs: readonly IndicatorSpec[]) {
    this.#names = specs.map(indicatorColumn);
    this.columns = ['open_time', ...this.#names];
    this.#steps = specs.map(stepOf);
  }

  /** Takes the next candle; returns its row, `null` where an indicator is still warming up or undefined. */
  update(candle: CandleFields): IndicatorRow {
    if (!(candle.open_time > this.#lastOpen)) {
      throw new RangeError(`candles must be in strictly increasing open time: ${candle.open_time} follows ${this.#lastOpen}`);
    }
    this.#lastOpen = candle.open_time;
    const bar: Bar = { high: Number(candle.high), low: Number(candle.low), close: Number(candle.close), volume: Number(candle.volume) };
    const row: IndicatorRow = { open_time: candle.open_time };
    this.#steps.forEach((step, k) => {
      const v = step(bar);
      row[this.#names[k] ?? ''] = Number.isFinite(v) ? v : null;
    });
    return row;
  }
}
