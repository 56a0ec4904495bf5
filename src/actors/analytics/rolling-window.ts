/**
 * The last `length` values of a stream with their sum and sum of squares, O(1) per value.
 * Sums are kept relative to a shift (the window's mean at the last recompute) and recomputed from
 * the buffer every `length` values, so rounding drift stays bounded however long the stream runs.
 * A variance that is tiny next to the squares added and removed since (values that left the window
 * were far apart, the ones in it nearly equal) would have lost digits to cancellation: it is then
 * recomputed from the buffer in two passes, so it stays within ~1e-10 relative of the exact value.
 */
/** Below this share of the churn, a centred sum of squares has lost too many digits. */
const CANCELLATION = 1e-6;

export class RollingWindow {
  readonly length: number;
  readonly #values: Float64Array;
  #next = 0;
  #count = 0;
  #shift = 0;
  #sum = 0;
  #sumSquares = 0;
  /** Σ of the squared terms added to and removed from #sumSquares since the last recompute. */
  #churn = 0;
  #sinceRecompute = 0;

  constructor(length: number) {
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`window length must be a positive integer, got ${length}`);
    this.length = length;
    this.#values = new Float64Array(length);
  }

  /** Values held: `length` once full. */
  get count(): number {
    return this.#count;
  }

  get full(): boolean {
    return this.#count === this.length;
  }

  push(value: number): void {
    if (this.#count === this.length) {
      const old = (this.#values[this.#next] ?? 0) - this.#shift;
      this.#sum -= old;
      this.#sumSquares -= old * old;
      this.#churn += old * old;
    } else {
      this.#count += 1;
    }
    this.#values[this.#next] = value;
    const d = value - this.#shift;
    this.#sum += d;
    this.#sumSquares += d * d;
    this.#churn += d * d;
    this.#next = this.#next + 1 === this.length ? 0 : this.#next + 1;
    this.#sinceRecompute += 1;
    if (this.#sinceRecompute >= this.length) this.#recompute();
  }

  /** The value pushed `back` values ago (0: the latest). */
  at(back: number): number {
    if (back < 0 || back >= this.#count) return Number.NaN;
    const i = (this.#next - 1 - back + 2 * this.length) % this.length;
    return this.#values[i] ?? Number.NaN;
  }

  sum(): number {
    return this.#sum + this.#count * this.#shift;
  }

  mean(): number {
    return this.#count === 0 ? Number.NaN : this.#shift + this.#sum / this.#count;
  }

  /** Sample variance (n − 1 in the denominator); NaN below two values. */
  variance(): number {
    const n = this.#count;
    if (n < 2) return Number.NaN;
    let centred = this.#sumSquares - (this.#sum * this.#sum) / n;
    if (centred < CANCELLATION * this.#churn) {
      this.#recompute();
      centred = this.#sumSquares - (this.#sum * this.#sum) / n;
    }
    return Math.max(0, centred / (n - 1));
  }

  #recompute(): void {
    this.#sinceRecompute = 0;
    const n = this.#count;
    let total = 0;
    for (let i = 0; i < n; i++) total += this.#values[i] ?? 0;
    this.#shift = total / n;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const d = (this.#values[i] ?? 0) - this.#shift;
      sum += d;
      squares += d * d;
    }
    this.#sum = sum;
    this.#sumSquares = squares;
    this.#churn = squares;
  }
}
