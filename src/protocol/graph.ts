import { z } from 'zod';
import { Interval } from './intervals.ts';

/** Candles of log returns a correlation is computed over, unless told otherwise (a week of hours). */
export const DEFAULT_GRAPH_WINDOW = 168;
/** |ρ| at or above which two symbols are joined, unless a top-k rule is asked for. */
export const DEFAULT_EDGE_THRESHOLD = 0.3;
export const MAX_GRAPH_WINDOW = 10_000;

/** A correlation window: at least 3 returns (Pearson ρ of 2 points is always ±1). */
export const GraphWindow = z
  .number({ error: `expected a whole number of candles from 3 to ${MAX_GRAPH_WINDOW}` })
  .int({ error: `expected a whole number of candles from 3 to ${MAX_GRAPH_WINDOW}` })
  .min(3, { error: `window too small; accepted: 3 to ${MAX_GRAPH_WINDOW} candles` })
  .max(MAX_GRAPH_WINDOW, { error: `window too large; accepted: 3 to ${MAX_GRAPH_WINDOW} candles` });

/**
 * Which pairs become edges. `threshold`: every pair with |ρ| ≥ threshold. `top-k`: each node keeps
 * its k neighbours of largest |ρ|, and a pair is an edge when either end chose the other (the union
 * makes the graph undirected, so a node may end with more than k edges, never fewer).
 */
export const EdgeRule = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('threshold'),
    threshold: z.number().min(0, { error: 'threshold must be within [0, 1]' }).max(1, { error: 'threshold must be within [0, 1]' }),
  }),
  z.object({ kind: z.literal('top-k'), k: z.number().int().min(1, { error: 'top-k needs k ≥ 1' }) }),
]);
export type EdgeRule = z.infer<typeof EdgeRule>;

/** One undirected edge of the answer: symbols by name, weight ρ ∈ [-1, 1]. */
export const GraphEdge = z.object({ source: z.string(), target: z.string(), weight: z.number().min(-1).max(1) });
export type GraphEdge = z.infer<typeof GraphEdge>;

/**
 * `streamforge graph … --format json`, `GET /graph`: the correlation graph of the window of
 * `window` log returns whose last candle opens at `at` (at or before the `at` asked for).
 */
export const GraphBody = z.object({
  symbols: z.array(z.string()),
  interval: Interval,
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  from_ms: z.number().int(),
  to_ms: z.number().int(),
  window: z.number().int().positive(),
  at: z.iso.datetime(),
  at_ms: z.number().int(),
  /** The rule that made the edges. */
  rule: EdgeRule.optional(),
  edges: z.array(GraphEdge),
});
export type GraphBody = z.infer<typeof GraphBody>;
