import { z } from 'zod';
import { DEFAULT_EDGE_THRESHOLD, DEFAULT_GRAPH_WINDOW, EdgeRule, GraphWindow } from './graph.ts';
import { Interval } from './intervals.ts';
import { MarketSymbol } from './market-symbol.ts';
import { ModelArchName } from './model.ts';

/** Most symbols in one universe: a dense N×N adjacency per snapshot stays small. */
export const MAX_UNIVERSE_SYMBOLS = 200;

/** The universe of a graph workflow: at least 2 distinct symbols. */
export const UniverseSymbols = z
  .array(MarketSymbol)
  .min(2, { error: 'a graph needs at least 2 symbols; accepted: 2 to 200 distinct symbols, e.g. ["BTCUSDT","ETHUSDT"]' })
  .max(MAX_UNIVERSE_SYMBOLS, { error: `at most ${MAX_UNIVERSE_SYMBOLS} symbols in one universe` })
  .refine((symbols) => new Set(symbols).size === symbols.length, { error: 'symbols must be distinct' });

/** Every setting of a `gnn_graph` or `gnn_train` workflow, with its default: what its stages are started with. */
export const GnnParams = z.object({
  symbols: UniverseSymbols,
  interval: Interval,
  /** Candles of log returns per correlation. */
  window: GraphWindow.default(DEFAULT_GRAPH_WINDOW),
  edges: EdgeRule.default({ kind: 'threshold', threshold: DEFAULT_EDGE_THRESHOLD }),
  /** Candles ahead a label looks. */
  horizon: z.number().int().min(1, { error: 'horizon must be at least 1 candle' }).max(1_000, { error: 'horizon must be at most 1000 candles' }).default(1),
  epochs: z.number().int().min(1, { error: 'epochs must be at least 1' }).max(10_000, { error: 'epochs must be at most 10000' }).default(60),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  arch: ModelArchName.default('gcn'),
  /** Live: a snapshot per closed candle until stopped, retraining every `retrain_every` snapshots. */
  live: z.boolean().default(false),
  /** Live only: snapshots between two trainings (each a new model version). */
  retrain_every: z.number().int().min(1).max(1_000_000).default(168),
});
export type GnnParams = z.infer<typeof GnnParams>;

/**
 * {@link GnnParams} as workflows store and answer them: the same fields, the symbols already checked
 * (no upper-casing transform, which a response schema could not encode).
 */
export const GnnSettings = GnnParams.extend({ symbols: z.array(z.string()).min(2) });
