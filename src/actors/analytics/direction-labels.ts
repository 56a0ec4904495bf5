import { LabelClasses } from './graph-samples.ts';

const UP = LabelClasses.indexOf('UP');
const DOWN = LabelClasses.indexOf('DOWN');
const FLAT = LabelClasses.indexOf('FLAT');

/**
 * Forward log returns: for snapshot t and node i, Σ returns[t+1 … t+horizon][i], the log return
 * from t's close to the close `horizon` snapshots ahead. `[T − horizon, N]`, row-major.
 */
export function forwardReturns(returns: ReadonlyArray<ArrayLike<number>>, nodes: number, horizon: number): Float64Array {
  const labelled = Math.max(0, returns.length - horizon);
  const out = new Float64Array(labelled * nodes);
  for (let t = 0; t < labelled; t++) {
    for (let k = 1; k <= horizon; k++) {
      const row = returns[t + k];
      for (let i = 0; i < nodes; i++) out[t * nodes + i] = (out[t * nodes + i] ?? 0) + (row?.[i] ?? 0);
    }
  }
  return out;
}

/**
 * The FLAT band: the `flatShare` quantile of |forward return| over the training labels only, so
 * that about that share of training labels is FLAT (more where many returns tie at the band).
 */
export function flatBand(trainForward: ArrayLike<number>, flatShare: number): number {
  if (!(flatShare > 0 && flatShare < 1)) throw new RangeError(`flatShare must be within (0, 1), got ${flatShare}`);
  const sorted = Float64Array.from(trainForward, Math.abs).sort();
  if (sorted.length === 0) throw new RangeError('no training label to choose the FLAT band from');
  return sorted[Math.max(0, Math.ceil(flatShare * sorted.length) - 1)] ?? 0;
}

/** UP when r > band, DOWN when r < −band, FLAT otherwise, as indices into {@link LabelClasses}. */
export function directionLabel(forward: number, band: number): number {
  return forward > band ? UP : forward < -band ? DOWN : FLAT;
}
