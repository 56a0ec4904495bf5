import type { CandleFields } from './candle-series.ts';

/** One step's numbers for N nodes after the hole rule; overwritten by the next `fill`. */
export interface FilledStep {
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  /** ln(close / previous close); NaN on the first step (no previous close). */
  readonly logReturn: Float64Array;
  /** Nodes whose candle was missing this step. */
  readonly filled: readonly number[];
}

/**
 * The rule for a symbol without a candle at a step where others have one (an exchange hole, a
 * halted market): its previous close is carried, as a candle with open = high = low = close =
 * that close and volume 0, so its return is 0 and the next real candle's return spans the whole
 * hole. Only the past is used, so no look-ahead. Steps before every symbol has had its first
 * candle give nothing (`undefined`): there is no close to carry yet.
 */
export class HoleFiller {
  readonly nodes: number;
  readonly #step: FilledStep & { filled: number[] };
  readonly #previousClose: Float64Array;
  #started = false;

  constructor(nodes: number) {
    this.nodes = nodes;
    const column = (): Float64Array => new Float64Array(nodes);
    this.#step = { high: column(), low: column(), close: column(), volume: column(), logReturn: column(), filled: [] };
    this.#previousClose = new Float64Array(nodes).fill(Number.NaN);
  }

  fill(candles: ReadonlyArray<CandleFields | undefined>): FilledStep | undefined {
    if (candles.length !== this.nodes) throw new RangeError(`expected ${this.nodes} candles (one per symbol), got ${candles.length}`);
    const step = this.#step;
    step.filled.length = 0;
    let complete = true;
    for (let i = 0; i < this.nodes; i++) {
      const c = candles[i];
      const previous = this.#previousClose[i] ?? Number.NaN;
      if (c === undefined) {
        if (Number.isNaN(previous)) complete = false;
        step.high[i] = previous;
        step.low[i] = previous;
        step.close[i] = previous;
        step.volume[i] = 0;
        step.filled.push(i);
      } else {
        step.high[i] = Number(c.high);
        step.low[i] = Number(c.low);
        step.close[i] = Number(c.close);
        step.volume[i] = Number(c.volume);
      }
      step.logReturn[i] = Math.log((step.close[i] ?? Number.NaN) / previous);
      this.#previousClose[i] = step.close[i] ?? Number.NaN;
    }
    if (!complete) return undefined;
    if (!this.#started) {
      // The first complete step: a symbol that was present before has a return, the rest do not; none is used.
      this.#started = true;
      step.logReturn.fill(Number.NaN);
    }
    return step;
  }
}
