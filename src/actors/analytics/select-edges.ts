import { assertNever } from '../../protocol/index.ts';
import type { EdgeRule, SnapshotEdge } from '../../protocol/index.ts';

/**
 * The edges of a correlation matrix (N×N, row-major) under `rule`, as node-index pairs with
 * `source < target`, in (source, target) order, weight ρ. Pairs with an undefined ρ (NaN: a
 * constant series) are never edges.
 * - `threshold`: every pair with |ρ| ≥ threshold.
 * - `top-k`: each node picks its k partners of largest |ρ| (ties: the lower index), and a pair is
 *   an edge when either end picked the other, the usual symmetric k-nearest-neighbour graph: every
 *   node has at least min(k, partners with a defined ρ) edges, possibly more.
 */
export function selectEdges(rho: Float64Array, nodes: number, rule: EdgeRule): SnapshotEdge[] {
  switch (rule.kind) {
    case 'threshold':
      return thresholdEdges(rho, nodes, rule.threshold);
    case 'top-k':
      return topKEdges(rho, nodes, rule.k);
    default:
      return assertNever(rule);
  }
}

function thresholdEdges(rho: Float64Array, n: number, threshold: number): SnapshotEdge[] {
  const edges: SnapshotEdge[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const w = rho[i * n + j] ?? Number.NaN;
      if (Math.abs(w) >= threshold) edges.push({ source: i, target: j, weight: w });
    }
  }
  return edges;
}

function topKEdges(rho: Float64Array, n: number, k: number): SnapshotEdge[] {
  const chosen = new Uint8Array(n * n);
  const partners: number[] = [];
  for (let i = 0; i < n; i++) {
    partners.length = 0;
    for (let j = 0; j < n; j++) if (j !== i && !Number.isNaN(rho[i * n + j] ?? Number.NaN)) partners.push(j);
    partners.sort((a, b) => Math.abs(rho[i * n + b] ?? 0) - Math.abs(rho[i * n + a] ?? 0) || a - b);
    for (const j of partners.slice(0, k)) {
      chosen[Math.min(i, j) * n + Math.max(i, j)] = 1;
    }
  }
  const edges: SnapshotEdge[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) if (chosen[i * n + j] === 1) edges.push({ source: i, target: j, weight: rho[i * n + j] ?? 0 });
  }
  return edges;
}
