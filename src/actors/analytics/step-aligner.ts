import { alignCandles } from './align-candles.ts';
import type { AlignedStep } from './align-candles.ts';
import type { CandleFields } from './candle-series.ts';

/**
 * Aligns N symbols' candles as they are stored (each symbol's in increasing open time) into time
 * steps, live: a step is released once every symbol has reached its time (has a candle opening at
 * or after it), so a step never comes before a candle it should hold. Nothing is released before
 * every symbol has a first candle. A symbol that has stored nothing new for `graceMs` (a hole at the exchange, a delisting, a stalled stream) no longer holds
 * the others back: its missing candles become holes (`HoleFiller`), and a candle of it that turns
 * up later than a released step is dropped.
 */
export class StepAligner {
  readonly #pending: CandleFields[][];
  /** Open time of each symbol's newest candle, and when it was added. */
  readonly #reached: number[];
  readonly #heardAt: number[];
  readonly #graceMs: number;
  #released = Number.NEGATIVE_INFINITY;

  constructor(symbols: number, graceMs: number) {
    this.#pending = Array.from({ length: symbols }, () => []);
    this.#reached = new Array<number>(symbols).fill(Number.NEGATIVE_INFINITY);
    this.#heardAt = new Array<number>(symbols).fill(Number.NEGATIVE_INFINITY);
    this.#graceMs = graceMs;
  }

  /** Open time of the last released step. */
  get released(): number {
    return this.#released;
  }

  /** Takes a symbol's newly stored candles at `nowMs`; older ones than it already had, or than a released step, are ignored. */
  add(symbol: number, candles: readonly CandleFields[], nowMs: number): void {
    const queue = this.#pending[symbol];
    if (queue === undefined) throw new RangeError(`no symbol ${symbol}`);
    for (const c of candles) {
      if (c.open_time <= (this.#reached[symbol] ?? Number.NEGATIVE_INFINITY) || c.open_time <= this.#released) continue;
      queue.push(c);
      this.#reached[symbol] = c.open_time;
      this.#heardAt[symbol] = nowMs;
    }
  }

  /** The steps every symbol has reached (lagging ones aside), in time order; `all` releases whatever is pending. */
  release(nowMs: number, all = false): AlignedStep[] {
    const horizon = all ? Number.POSITIVE_INFINITY : this.#horizon(nowMs);
    const ready = this.#pending.map((queue) => {
      let k = 0;
      while (k < queue.length && (queue[k]?.open_time ?? Number.POSITIVE_INFINITY) <= horizon) k++;
      return queue.splice(0, k);
    });
    const steps = alignCandles(ready);
    const last = steps.at(-1);
    if (last !== undefined) this.#released = last.time;
    return steps;
  }

  /**
   * Up to where every symbol heard from within the grace period has candles; if none was, the newest
   * of all. Until every symbol has given a first candle, nothing is released: a symbol whose history
   * is still being loaded is not a hole.
   */
  #horizon(nowMs: number): number {
    let horizon = Number.POSITIVE_INFINITY;
    let newest = Number.NEGATIVE_INFINITY;
    for (const [i, reached] of this.#reached.entries()) {
      if (reached === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
      newest = Math.max(newest, reached);
      if (nowMs - (this.#heardAt[i] ?? Number.NEGATIVE_INFINITY) <= this.#graceMs) horizon = Math.min(horizon, reached);
    }
    return horizon === Number.POSITIVE_INFINITY ? newest : horizon;
  }
}
