import { gaussianAt, streamKey } from './gaussian-stream.ts';

/**
 * How a planted-clusters market moves, per step: r_i,t = vol · (a·f_c,t + b·f_c,t−1 + noise·ε_i,t) / s
 * with s = √(a² + b² + noise²), f_c and ε independent standard normals, c the cluster of i.
 * Inside a cluster the contemporaneous correlation is (a² + b²) / s²; across clusters 0. The best
 * forecast of r_i,t+1 is vol·b·f_c,t / s, and the cluster's mean return at t estimates f_c,t with
 * noise²/size of idiosyncratic variance where the node's own return has noise².
 */
export interface ClusterLoadings {
  /** @defaultValue 0.5745 */
  readonly a: number;
  /** @defaultValue 0.469 */
  readonly b: number;
  /** @defaultValue 0.6708 */
  readonly noise: number;
}

/** ρ inside a cluster ≈ 0.55; a² is 60 % of the shared variance (tuned so the cluster mean predicts best). */
export const DEFAULT_LOADINGS: ClusterLoadings = { a: 0.5745, b: 0.469, noise: 0.6708 };

interface MarketBase {
  readonly symbols: readonly string[];
  readonly seed: number;
  /** Step length. @defaultValue 3_600_000 (hourly) */
  readonly stepMs?: number;
  /** Time of step 0; before it every price sits at its base. @defaultValue 2017-01-01T00:00:00Z */
  readonly startMs?: number;
  /** Standard deviation of one step's log return. @defaultValue 0.006 */
  readonly volatility?: number;
}

/** Independent random walks (no structure: what no model should beat the baseline on) or planted clusters. */
export type SyntheticMarketSpec =
  | (MarketBase & { readonly kind: 'random-walks' })
  | (MarketBase & { readonly kind: 'planted-clusters'; readonly clusters?: number; readonly loadings?: ClusterLoadings });

/** Stationary std of the log level around its base: a very weak pull keeps prices within e^±1. */
const LEVEL_STD = 0.25;
const LEVEL_LIMIT = 1;
const CHUNK = 4096;

/**
 * A deterministic synthetic market of N symbols (same spec, same prices): log levels relative to
 * each symbol's base price on a grid of `stepMs` from `startMs`, linear in between. The level is
 * pulled back towards 0 by κ = vol² / (2 · 0.25²) per step (half-life of months at hourly steps,
 * far too weak to forecast anything at the horizons of a few steps) and clamped to ±1, so prices
 * stay within e^±1 of the base for ever.
 */
export class SyntheticMarket {
  readonly spec: SyntheticMarketSpec;
  readonly stepMs: number;
  readonly startMs: number;
  readonly volatility: number;
  readonly clusters: number;
  readonly #loadings: ClusterLoadings;
  readonly #kappa: number;
  readonly #factorKeys: number[];
  readonly #noiseKeys: number[];
  #levels: Float64Array[];
  #computed = 1;

  constructor(spec: SyntheticMarketSpec) {
    if (spec.symbols.length === 0 || new Set(spec.symbols).size !== spec.symbols.length) {
      throw new RangeError('a synthetic market needs distinct symbols');
    }
    this.spec = spec;
    this.stepMs = spec.stepMs ?? 3_600_000;
    this.startMs = spec.startMs ?? Date.UTC(2017, 0, 1);
    this.volatility = spec.volatility ?? 0.006;
    this.clusters = spec.kind === 'planted-clusters' ? (spec.clusters ?? 3) : 0;
    if (spec.kind === 'planted-clusters' && !(Number.isInteger(this.clusters) && this.clusters >= 1 && this.clusters <= spec.symbols.length)) {
      throw new RangeError(`clusters must be a whole number from 1 to the number of symbols, got ${this.clusters}`);
    }
    if (!(this.stepMs > 0 && this.volatility > 0 && this.volatility < 0.2)) throw new RangeError('stepMs must be > 0 and volatility within (0, 0.2)');
    this.#loadings = spec.kind === 'planted-clusters' ? (spec.loadings ?? DEFAULT_LOADINGS) : { a: 0, b: 0, noise: 1 };
    this.#kappa = (this.volatility * this.volatility) / (2 * LEVEL_STD * LEVEL_STD);
    this.#factorKeys = Array.from({ length: this.clusters }, (_, c) => streamKey(spec.seed, `factor-${c}`));
    this.#noiseKeys = spec.symbols.map((s) => streamKey(spec.seed, `noise-${s}`));
    this.#levels = spec.symbols.map(() => new Float64Array(CHUNK));
  }

  /** The cluster of symbol `i` (round-robin, so clusters are not runs of neighbours); −1 for random walks. */
  clusterOf(i: number): number {
    return this.clusters === 0 ? -1 : i % this.clusters;
  }

  /** Log level of symbol `i` at grid time k (k ≥ 0) relative to its base; 0 at k = 0. */
  level(i: number, k: number): number {
    if (k <= 0) return 0;
    this.#extendTo(k);
    return this.#levels[i]?.[k] ?? 0;
  }

  /** Log level at any time: linear between grid times, 0 before `startMs`. */
  levelAt(i: number, timeMs: number): number {
    const steps = (timeMs - this.startMs) / this.stepMs;
    if (steps <= 0) return 0;
    const k = Math.floor(steps);
    const from = this.level(i, k);
    const fraction = steps - k;
    return fraction === 0 ? from : from + fraction * (this.level(i, k + 1) - from);
  }

  #extendTo(k: number): void {
    if (k < this.#computed) return;
    const length = this.#levels[0]?.length ?? 0;
    if (k >= length) {
      const grown = Math.max(length * 2, Math.ceil((k + 1) / CHUNK) * CHUNK);
      this.#levels = this.#levels.map((old) => {
        const next = new Float64Array(grown);
        next.set(old);
        return next;
      });
    }
    const { a, b, noise } = this.#loadings;
    const scale = this.volatility / Math.sqrt(a * a + b * b + noise * noise);
    const draw = (step: number): Float64Array => Float64Array.from(this.#factorKeys, (key) => gaussianAt(key, step));
    let previousFactors = draw(this.#computed - 2);
    for (let step = this.#computed; step <= k; step++) {
      // Step `step − 1` moves the level from grid time step − 1 to step.
      const factors = draw(step - 1);
      this.#levels.forEach((levels, i) => {
        const c = this.clusterOf(i);
        const shared = c < 0 ? 0 : a * (factors[c] ?? 0) + b * (previousFactors[c] ?? 0);
        const innovation = scale * (shared + noise * gaussianAt(this.#noiseKeys[i] ?? 0, step - 1));
        const previous = levels[step - 1] ?? 0;
        levels[step] = Math.min(LEVEL_LIMIT, Math.max(-LEVEL_LIMIT, previous + innovation - this.#kappa * previous));
      });
      previousFactors = factors;
    }
    this.#computed = k + 1;
  }
}
