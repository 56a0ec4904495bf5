/**
 * The learning problem as plain typed arrays, shared by the pure analytics (features, labels,
 * splits, metrics) and the model backends (tfjs behind the `ModelBackend` port).
 * Row-major, dense: a universe of a few hundred symbols at most, so an `N×N` adjacency is cheap.
 */

/** Classes of a label, in the order every model outputs its probabilities. */
export const LabelClasses = ['UP', 'DOWN', 'FLAT'] as const;
export type LabelClass = (typeof LabelClasses)[number];

/** What a model sees: `count` graph snapshots (T) of `nodes` symbols (N), each with `features` values (F). */
export interface GraphInputs {
  /** T */
  readonly count: number;
  /** N */
  readonly nodes: number;
  /** F */
  readonly features: number;
  /** `[T, N, F]` node features, already normalised (statistics of the training period only). */
  readonly x: Float32Array;
  /**
   * `[T, N, N]` edge weights: Pearson ρ of log returns where the graph has an edge, 0 elsewhere;
   * symmetric, zero diagonal. Models that pass messages use |ρ| plus self loops, normalised.
   */
  readonly adjacency: Float32Array;
  /** `[T]` open time (epoch ms) of the candle each snapshot ends at. */
  readonly times: Float64Array;
}

/** Inputs with their labels: `[T, N]` class indices into {@link LabelClasses}. */
export interface GraphSamples extends GraphInputs {
  readonly labels: Int32Array;
}
