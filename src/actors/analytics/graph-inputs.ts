import { ValidationError } from '../../protocol/index.ts';
import type { GraphSnapshot } from '../../protocol/index.ts';
import type { FeatureScaler } from './feature-scaler.ts';
import type { GraphInputs } from './graph-samples.ts';

/** The part of a snapshot a model reads. */
export type SnapshotInputs = Pick<GraphSnapshot, 'time' | 'symbols' | 'features' | 'x' | 'edges'>;

/**
 * Model inputs of `snapshots` (all with the same symbols and features, those `scaler` was fitted
 * on): x normalised by `scaler`, adjacency ρ on edges and 0 elsewhere (symmetric, zero diagonal).
 * What `predict` feeds a stored model, and what the dataset builds its samples from.
 */
export function graphInputs(snapshots: readonly SnapshotInputs[], scaler: FeatureScaler): GraphInputs {
  const first = snapshots[0];
  if (first === undefined) throw new ValidationError('no snapshot given');
  const t = snapshots.length;
  const n = first.symbols.length;
  const f = first.features.length;
  scaler.check(first.features);
  const x = new Float32Array(t * n * f);
  const adjacency = new Float32Array(t * n * n);
  const times = new Float64Array(t);
  snapshots.forEach((s, k) => {
    if (s.symbols.length !== n || s.symbols.some((symbol, i) => symbol !== first.symbols[i])) {
      throw new ValidationError(`snapshot at ${s.time} has symbols [${s.symbols.join(',')}], expected [${first.symbols.join(',')}]`);
    }
    scaler.check(s.features);
    times[k] = s.time;
    for (let i = 0; i < n; i++) {
      const row = s.x[i];
      if (row?.length !== f) throw new ValidationError(`snapshot at ${s.time}: node ${i} has ${row?.length ?? 0} features, expected ${f}`);
      scaler.transformRow(row, x, (k * n + i) * f);
    }
    const base = k * n * n;
    for (const e of s.edges) {
      adjacency[base + e.source * n + e.target] = e.weight;
      adjacency[base + e.target * n + e.source] = e.weight;
    }
  });
  return { count: t, nodes: n, features: f, x, adjacency, times };
}
