import { ValidationError } from '../../protocol/index.ts';
import type { GraphSnapshot } from '../../protocol/index.ts';
import { directionLabel, flatBand, forwardReturns } from './direction-labels.ts';
import { FeatureScaler } from './feature-scaler.ts';
import { graphInputs } from './graph-inputs.ts';
import type { GraphSamples } from './graph-samples.ts';
import { DEFAULT_SPLIT, minimumLabelled, purgedSplit } from './purged-split.ts';
import type { PurgedSplit, SplitPart, SplitShares } from './purged-split.ts';

export interface GraphDatasetOptions {
  /** Snapshots ahead the label looks. @defaultValue 1 */
  readonly horizon?: number;
  /** @defaultValue 0.7 / 0.15 / 0.15 */
  readonly split?: SplitShares;
  /** Share of training labels inside the FLAT band. @defaultValue 1/3 */
  readonly flatShare?: number;
}

export interface GraphDataset {
  readonly train: GraphSamples;
  readonly val: GraphSamples;
  readonly test: GraphSamples;
  /** Fitted on the training snapshots only; store it with the model. */
  readonly scaler: FeatureScaler;
  readonly horizon: number;
  /** |forward log return| at or below which a label is FLAT (from the training labels only). */
  readonly flatBand: number;
  /** Snapshot index ranges of the parts and the purge gap (window + horizon). */
  readonly split: PurgedSplit;
}

export type DatasetSnapshot = Pick<GraphSnapshot, 'time' | 'window' | 'symbols' | 'features' | 'x' | 'returns' | 'edges'>;

/**
 * The learning problem from a time-ordered run of snapshots: labels UP/DOWN/FLAT from the log
 * return `horizon` snapshots ahead (the sum of the next snapshots' returns), a time-ordered split
 * with a purge gap of window + horizon snapshots between parts, the FLAT band and the
 * normalisation fitted on the training part only. The last `horizon` snapshots have no label.
 */
export function buildGraphDataset(snapshots: readonly DatasetSnapshot[], options: GraphDatasetOptions = {}): GraphDataset {
  const horizon = options.horizon ?? 1;
  if (!Number.isInteger(horizon) || horizon < 1) throw new ValidationError(`horizon must be a positive whole number of candles, got ${horizon}`);
  const first = checkRun(snapshots);
  const n = first.symbols.length;
  const shares = options.split ?? DEFAULT_SPLIT;
  checkLength(snapshots.length, first.window, horizon, shares);
  const forward = forwardReturns(snapshots.map((s) => s.returns), n, horizon);
  const labelled = snapshots.length - horizon;
  const split = purgedSplit(labelled, first.window + horizon, shares);
  const band = flatBand(forward.subarray(split.train.start * n, split.train.end * n), options.flatShare ?? 1 / 3);
  const scaler = fitScaler(snapshots, split.train, first.features);
  const samples = (part: SplitPart): GraphSamples => {
    const inputs = graphInputs(snapshots.slice(part.start, part.end), scaler);
    const labels = new Int32Array((part.end - part.start) * n);
    for (let k = 0; k < labels.length; k++) labels[k] = directionLabel(forward[part.start * n + k] ?? 0, band);
    return { ...inputs, labels };
  };
  return { train: samples(split.train), val: samples(split.val), test: samples(split.test), scaler, horizon, flatBand: band, split };
}

/** Fewest snapshots a dataset can be built from: the split's minimum plus the unlabelled last `horizon`. */
export function minimumSnapshots(window: number, horizon: number, shares: SplitShares = DEFAULT_SPLIT): number {
  return minimumLabelled(window + horizon, shares) + horizon;
}

function checkLength(count: number, window: number, horizon: number, shares: SplitShares): void {
  const minimum = minimumSnapshots(window, horizon, shares);
  if (count >= minimum) return;
  throw new ValidationError(
    `too few snapshots: ${count}, at least ${minimum} needed for window ${window}, horizon ${horizon} ` +
      `and a ${shares.train}/${shares.val}/${shares.test} split (two purge gaps of window + horizon = ${window + horizon}); ` +
      'the range needs that many candles after the graph warm-up',
    { details: { snapshots: count, minimum } },
  );
}

/** The scaler of the training part: every node of every training snapshot is a row. */
function fitScaler(snapshots: readonly DatasetSnapshot[], train: SplitPart, features: readonly string[]): FeatureScaler {
  const f = features.length;
  const rows: number[] = [];
  for (let t = train.start; t < train.end; t++) for (const row of snapshots[t]?.x ?? []) rows.push(...row);
  return FeatureScaler.fit(features, rows, rows.length / f);
}

function checkRun(snapshots: readonly DatasetSnapshot[]): DatasetSnapshot {
  const first = snapshots[0];
  if (first === undefined) throw new ValidationError('no snapshot to build a dataset from');
  let previous = Number.NEGATIVE_INFINITY;
  for (const s of snapshots) {
    if (!(s.time > previous)) throw new ValidationError(`snapshots must be in increasing time: ${s.time} after ${previous}`);
    previous = s.time;
    if (s.window !== first.window) throw new ValidationError(`snapshot at ${s.time} has window ${s.window}, the first ${first.window}`);
    if (s.returns.length !== first.symbols.length) throw new ValidationError(`snapshot at ${s.time} has ${s.returns.length} returns for ${first.symbols.length} symbols`);
    if (s.x.length !== first.symbols.length || s.x.some((row) => row.length !== first.features.length)) {
      throw new ValidationError(`snapshot at ${s.time}: x must be ${first.symbols.length}×${first.features.length} (symbols × features)`);
    }
  }
  return first;
}
