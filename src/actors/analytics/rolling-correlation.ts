import { checkPeriod } from './check-period.ts';
import { correlationFromMoments } from './correlation-from-moments.ts';

/**
 * Pearson correlations of N series over their last `window` values, updated in O(N²) per step:
 * the window's sums and cross sums are adjusted by the row that enters and the row that leaves.
 * Sums are taken relative to each series' mean at the last recompute and recomputed from the
 * buffer every `window` steps (amortised O(N²) too), so rounding drift cannot accumulate; and
 * before a matrix is read, a series whose centred sum of squares is tiny next to the squares
 * added and removed since (cancellation) has everything recomputed from the buffer first.
 */
export class RollingCorrelation {
  readonly nodes: number;
  readonly window: number;
  readonly #ring: Float64Array;
  readonly #shift: Float64Array;
  readonly #sum: Float64Array;
  /** Upper triangle (j ≥ i) of Σ (x_i − shift_i)(x_j − shift_j), stored at i·N + j. */
  readonly #cross: Float64Array;
  readonly #entering: Float64Array;
  readonly #leaving: Float64Array;
  /** Per series, Σ of the squared terms added to and removed from its sum of squares since the last recompute. */
  readonly #churn: Float64Array;
  #next = 0;
  #count = 0;
  #sinceRecompute = 0;

  constructor(nodes: number, window: number) {
    checkPeriod(nodes, 'nodes');
    checkPeriod(window, 'window');
    this.nodes = nodes;
    this.window = window;
    this.#ring = new Float64Array(nodes * window);
    this.#shift = new Float64Array(nodes);
    this.#sum = new Float64Array(nodes);
    this.#cross = new Float64Array(nodes * nodes);
    this.#entering = new Float64Array(nodes);
    this.#leaving = new Float64Array(nodes);
    this.#churn = new Float64Array(nodes);
  }

  get full(): boolean {
    return this.#count === this.window;
  }

  /** Adds one value per series (a time step); the oldest step leaves once the window is full. */
  push(values: ArrayLike<number>): void {
    const n = this.nodes;
    if (values.length !== n) throw new RangeError(`expected ${n} values, got ${values.length}`);
    const leaving = this.#count === this.window;
    const base = this.#next * n;
    for (let i = 0; i < n; i++) {
      const x = values[i] ?? Number.NaN;
      this.#entering[i] = x - (this.#shift[i] ?? 0);
      this.#leaving[i] = leaving ? (this.#ring[base + i] ?? 0) - (this.#shift[i] ?? 0) : 0;
      this.#ring[base + i] = x;
    }
    this.#apply(leaving);
    if (!leaving) this.#count += 1;
    this.#next = this.#next + 1 === this.window ? 0 : this.#next + 1;
    this.#sinceRecompute += 1;
    if (this.#sinceRecompute >= this.window) this.#recompute();
  }

  /**
   * The N×N matrix (row-major) of the current window: ρ_ij, 1 on the diagonal; NaN wherever a series
   * is constant over the window (ρ undefined), or before the window is full.
   */
  correlations(out: Float64Array = new Float64Array(this.nodes * this.nodes)): Float64Array {
    const n = this.nodes;
    if (!this.full) return out.fill(Number.NaN);
    if (this.#cancelled()) this.#recompute();
    correlationFromMoments(this.#sum, this.#cross, this.#shift, this.window, n, out);
    return out;
  }

  #apply(leaving: boolean): void {
    const n = this.nodes;
    const inRow = this.#entering;
    const outRow = this.#leaving;
    const cross = this.#cross;
    for (let i = 0; i < n; i++) {
      const xi = inRow[i] ?? 0;
      const oi = outRow[i] ?? 0;
      this.#sum[i] = (this.#sum[i] ?? 0) + xi - oi;
      this.#churn[i] = (this.#churn[i] ?? 0) + xi * xi + oi * oi;
      const row = i * n;
      if (leaving) {
        for (let j = i; j < n; j++) cross[row + j] = (cross[row + j] ?? 0) + xi * (inRow[j] ?? 0) - oi * (outRow[j] ?? 0);
      } else {
        for (let j = i; j < n; j++) cross[row + j] = (cross[row + j] ?? 0) + xi * (inRow[j] ?? 0);
      }
    }
  }

  #cancelled(): boolean {
    const n = this.nodes;
    for (let i = 0; i < n; i++) {
      const s = this.#sum[i] ?? 0;
      const centred = (this.#cross[i * n + i] ?? 0) - (s * s) / this.window;
      if (centred < 1e-6 * (this.#churn[i] ?? 0)) return true;
    }
    return false;
  }

  #recompute(): void {
    this.#sinceRecompute = 0;
    const n = this.nodes;
    const rows = this.#count;
    for (let i = 0; i < n; i++) {
      let total = 0;
      for (let t = 0; t < rows; t++) total += this.#ring[t * n + i] ?? 0;
      this.#shift[i] = total / rows;
    }
    this.#sum.fill(0);
    this.#cross.fill(0);
    this.#churn.fill(0);
    for (let t = 0; t < rows; t++) {
      for (let i = 0; i < n; i++) this.#entering[i] = (this.#ring[t * n + i] ?? 0) - (this.#shift[i] ?? 0);
      this.#leaving.fill(0);
      this.#apply(false);
    }
  }
}
