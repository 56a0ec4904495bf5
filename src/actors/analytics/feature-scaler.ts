import { FeatureScalerState, ValidationError } from '../../protocol/index.ts';

/** Standard deviations below this are taken as a constant feature, scaled by 1 (it becomes 0). */
const CONSTANT_STD = 1e-12;

/**
 * Per-feature z-score (pooled over nodes and times) with statistics of the training period only;
 * serialisable ({@link FeatureScalerState}) so `predict` applies the very same transform later.
 */
export class FeatureScaler {
  readonly features: readonly string[];
  readonly #mean: Float64Array;
  readonly #std: Float64Array;

  private constructor(features: readonly string[], mean: Float64Array, std: Float64Array) {
    this.features = features;
    this.#mean = mean;
    this.#std = std;
  }

  /** Fits on rows of F values (`x` row-major, `rows` × F); NaN values are not allowed. */
  static fit(features: readonly string[], x: ArrayLike<number>, rows: number): FeatureScaler {
    const f = features.length;
    if (rows < 1) throw new ValidationError('a scaler needs at least one row to fit on');
    const mean = new Float64Array(f);
    const std = new Float64Array(f);
    for (let r = 0; r < rows; r++) for (let k = 0; k < f; k++) mean[k] = (mean[k] ?? 0) + (x[r * f + k] ?? 0);
    for (let k = 0; k < f; k++) mean[k] = (mean[k] ?? 0) / rows;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < f; k++) {
        const d = (x[r * f + k] ?? 0) - (mean[k] ?? 0);
        std[k] = (std[k] ?? 0) + d * d;
      }
    }
    for (let k = 0; k < f; k++) {
      const s = Math.sqrt((std[k] ?? 0) / rows);
      if (!Number.isFinite(s) || !Number.isFinite(mean[k] ?? Number.NaN)) {
        throw new ValidationError(`feature ${features[k] ?? k} has non-finite values in the training period`);
      }
      std[k] = s > CONSTANT_STD ? s : 1;
    }
    return new FeatureScaler([...features], mean, std);
  }

  /** Restores a stored scaler (checked by its schema). */
  static fromState(state: unknown): FeatureScaler {
    const parsed = FeatureScalerState.safeParse(state);
    if (!parsed.success) throw new ValidationError(`invalid feature scaler: ${parsed.error.message}`, { cause: parsed.error });
    const s = parsed.data;
    return new FeatureScaler(s.features, Float64Array.from(s.mean), Float64Array.from(s.std));
  }

  toState(): FeatureScalerState {
    return { features: [...this.features], mean: Array.from(this.#mean), std: Array.from(this.#std) };
  }

  /** Throws unless `features` are the names (and order) this scaler was fitted on. */
  check(features: readonly string[]): void {
    if (features.length !== this.features.length || features.some((name, k) => name !== this.features[k])) {
      throw new ValidationError(`features [${features.join(', ')}] differ from the model's [${this.features.join(', ')}]`);
    }
  }

  /** Normalises one row of F raw values into `out` at `offset`. */
  transformRow(row: ArrayLike<number>, out: Float32Array, offset: number): void {
    for (let k = 0; k < this.features.length; k++) {
      out[offset + k] = ((row[k] ?? Number.NaN) - (this.#mean[k] ?? 0)) / (this.#std[k] ?? 1);
    }
  }
}
