import { z } from 'zod';
import { Interval } from './intervals.ts';

/** An edge of a snapshot: node indices into `symbols` (`source < target`), weight ρ ∈ [-1, 1]. */
export const SnapshotEdge = z.object({
  source: z.number().int().nonnegative(),
  target: z.number().int().nonnegative(),
  weight: z.number().min(-1).max(1),
});
export type SnapshotEdge = z.infer<typeof SnapshotEdge>;

/**
 * One time step of a graph workflow, published by the graph-builder on `<queue_id>-graph-features`
 * and consumed by the trainer: node features (raw, not normalised: the trainer normalises with
 * statistics of its training period only), each node's log return of this candle (labels are sums
 * of the next snapshots' returns, so the trainer never reads the store) and the correlation edges.
 */
export const GraphSnapshot = z
  .object({
    queue_id: z.string().min(1),
    /** Open time (epoch ms) of the candle this snapshot ends at. */
    time: z.number().int().nonnegative(),
    interval: Interval,
    /** Log returns the correlations are computed over. */
    window: z.number().int().positive(),
    /** N symbols, the node order of `x`, `returns` and the edges' indices. */
    symbols: z.array(z.string().min(1)).min(2),
    /** F feature names, the column order of `x`. */
    features: z.array(z.string().min(1)).min(1),
    /** `[N][F]` raw node features. */
    x: z.array(z.array(z.number())),
    /** `[N]` ln(close_t / close_{t-1}); 0 for a node whose candle is missing (see `filled`). */
    returns: z.array(z.number()),
    /** Nodes without a candle at this time: their previous close was carried (return 0, volume 0). */
    filled: z.array(z.number().int().nonnegative()),
    edges: z.array(SnapshotEdge),
  })
  .superRefine((s, ctx) => {
    const n = s.symbols.length;
    const f = s.features.length;
    if (s.x.length !== n || s.x.some((row) => row.length !== f)) {
      ctx.addIssue({ code: 'custom', path: ['x'], message: `x must be ${n}×${f} (symbols × features)` });
    }
    if (s.returns.length !== n) ctx.addIssue({ code: 'custom', path: ['returns'], message: `returns must have ${n} values (one per symbol)` });
    if (s.filled.some((i) => i >= n)) ctx.addIssue({ code: 'custom', path: ['filled'], message: `filled holds node indices below ${n}` });
    if (s.edges.some((e) => e.source >= e.target || e.target >= n)) {
      ctx.addIssue({ code: 'custom', path: ['edges'], message: `edges need source < target < ${n}` });
    }
  });
export type GraphSnapshot = z.infer<typeof GraphSnapshot>;

/** Ends a graph-features stream: how many snapshots came before it. */
export const GraphSnapshotEnd = z.object({
  end_of_stream: z.literal(true),
  queue_id: z.string().min(1),
  snapshots: z.number().int().nonnegative(),
});
export type GraphSnapshotEnd = z.infer<typeof GraphSnapshotEnd>;

/** What travels on `<queue_id>-graph-features`: snapshots in time order, then one end marker. */
export const GraphFeaturesMessage = z.union([GraphSnapshot, GraphSnapshotEnd]);
export type GraphFeaturesMessage = z.infer<typeof GraphFeaturesMessage>;

export function isGraphSnapshotEnd(m: GraphFeaturesMessage): m is GraphSnapshotEnd {
  return 'end_of_stream' in m;
}

/** The topic a workflow's graph-builder publishes on. */
export function graphFeaturesTopic(queueId: string): string {
  return `${queueId}-graph-features`;
}
