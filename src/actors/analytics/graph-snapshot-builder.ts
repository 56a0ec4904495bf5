import { DEFAULT_EDGE_THRESHOLD, DEFAULT_GRAPH_WINDOW, ValidationError } from '../../protocol/index.ts';
import type { EdgeRule, GraphSnapshot, Interval } from '../../protocol/index.ts';
import type { CandleFields } from './candle-series.ts';
import { HoleFiller } from './hole-filler.ts';
import { DEFAULT_NODE_FEATURE_PERIODS, NodeFeatures, nodeFeatureNames, nodeFeatureWarmup } from './node-features.ts';
import type { NodeFeaturePeriods } from './node-features.ts';
import { RollingCorrelation } from './rolling-correlation.ts';
import { selectEdges } from './select-edges.ts';

export interface GraphSnapshotBuilderOptions {
  readonly queueId: string;
  readonly interval: Interval;
  /** The N nodes, in the order candles are given to `push`. */
  readonly symbols: readonly string[];
  /** Log returns per correlation. @defaultValue 168 */
  readonly window?: number;
  /** @defaultValue `{ kind: 'threshold', threshold: 0.3 }` */
  readonly edges?: EdgeRule;
  /** @defaultValue {@link DEFAULT_NODE_FEATURE_PERIODS}, with the volume z-score over `window` */
  readonly periods?: Partial<NodeFeaturePeriods>;
}

/** Complete steps a builder consumes before its first snapshot: the correlation window or the longest feature lookback. */
export function graphWarmupSteps(window: number, periods: Partial<NodeFeaturePeriods> = {}): number {
  return Math.max(window, nodeFeatureWarmup({ ...DEFAULT_NODE_FEATURE_PERIODS, volume: window, ...periods }));
}

/**
 * Turns aligned candles of N symbols, fed one time step at a time (a backfill's history or the live
 * stream's closed candles alike), into graph snapshots: node features ({@link NodeFeatures}), each
 * node's log return and the edges of the rolling correlation of log returns over `window`. A step
 * uses candles up to its own time only. The first snapshot comes at step `warmupSteps` (counted
 * from the first step where every symbol has had a candle); a missing candle follows {@link HoleFiller}.
 */
export class GraphSnapshotBuilder {
  readonly symbols: readonly string[];
  readonly features: readonly string[];
  readonly window: number;
  /** Complete steps consumed before the first snapshot. */
  readonly warmupSteps: number;
  readonly #options: GraphSnapshotBuilderOptions;
  readonly #rule: EdgeRule;
  readonly #filler: HoleFiller;
  readonly #nodes: NodeFeatures[];
  readonly #correlation: RollingCorrelation;
  readonly #x: Float64Array;
  readonly #rho: Float64Array;
  #steps = 0;
  #lastTime = Number.NEGATIVE_INFINITY;

  constructor(options: GraphSnapshotBuilderOptions) {
    const n = options.symbols.length;
    if (n < 2) throw new ValidationError(`a graph needs at least 2 symbols, got ${n}`);
    if (new Set(options.symbols).size !== n) throw new ValidationError(`symbols must be distinct: ${options.symbols.join(',')}`);
    this.window = options.window ?? DEFAULT_GRAPH_WINDOW;
    const periods: NodeFeaturePeriods = { ...DEFAULT_NODE_FEATURE_PERIODS, volume: this.window, ...options.periods };
    this.#options = options;
    this.#rule = options.edges ?? { kind: 'threshold', threshold: DEFAULT_EDGE_THRESHOLD };
    this.symbols = [...options.symbols];
    this.features = nodeFeatureNames(periods);
    this.warmupSteps = graphWarmupSteps(this.window, periods);
    this.#filler = new HoleFiller(n);
    this.#nodes = options.symbols.map(() => new NodeFeatures(periods));
    this.#correlation = new RollingCorrelation(n, this.window);
    this.#x = new Float64Array(n * NodeFeatures.count);
    this.#rho = new Float64Array(n * n);
  }

  /**
   * The candles of the step opening at `time` (one per symbol, undefined where a symbol has none),
   * times strictly increasing. Returns the step's snapshot once warm-up is over.
   */
  push(time: number, candles: ReadonlyArray<CandleFields | undefined>): GraphSnapshot | undefined {
    if (!(time > this.#lastTime)) throw new ValidationError(`steps must come in increasing time: ${time} after ${this.#lastTime}`);
    this.#lastTime = time;
    const step = this.#filler.fill(candles);
    if (step === undefined) return undefined;
    const n = this.symbols.length;
    const f = NodeFeatures.count;
    for (let i = 0; i < n; i++) {
      const node = this.#nodes[i];
      node?.update(step.high[i] ?? 0, step.low[i] ?? 0, step.close[i] ?? 0, step.volume[i] ?? 0, step.logReturn[i] ?? 0, this.#x, i * f);
    }
    if (this.#steps > 0) this.#correlation.push(step.logReturn);
    this.#steps += 1;
    if (this.#steps <= this.warmupSteps) return undefined;
    this.#correlation.correlations(this.#rho);
    const x: number[][] = [];
    for (let i = 0; i < n; i++) x.push(Array.from(this.#x.subarray(i * f, (i + 1) * f)));
    return {
      queue_id: this.#options.queueId,
      time,
      interval: this.#options.interval,
      window: this.window,
      symbols: [...this.symbols],
      features: [...this.features],
      x,
      returns: Array.from(step.logReturn),
      filled: [...step.filled],
      edges: selectEdges(this.#rho, n, this.#rule),
    };
  }
}
