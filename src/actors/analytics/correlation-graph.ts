import { DEFAULT_EDGE_THRESHOLD, ValidationError } from '../../protocol/index.ts';
import type { EdgeRule, GraphBody, Interval } from '../../protocol/index.ts';
import { alignCandles } from './align-candles.ts';
import type { CandleFields } from './candle-series.ts';
import { HoleFiller } from './hole-filler.ts';
import { pearsonMatrix } from './pearson-matrix.ts';
import { selectEdges } from './select-edges.ts';

export interface CorrelationGraphRequest {
  readonly symbols: readonly string[];
  readonly interval: Interval;
  /** The range the candles were read from, `[fromMs, toMs)`, echoed in the answer. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly window: number;
  /** The window ends at the last step opening at or before this time. */
  readonly atMs: number;
  /** @defaultValue `{ kind: 'threshold', threshold: 0.3 }` */
  readonly rule?: EdgeRule;
  /** Each symbol's candles of the range, in increasing open time, in `symbols` order. */
  readonly candles: ReadonlyArray<readonly CandleFields[]>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * `streamforge graph`: the correlation graph (Pearson ρ of log returns, exact two-pass) of the
 * `window` returns ending at the last step at or before `atMs`, with holes handled as the snapshot
 * builder does ({@link HoleFiller}). Throws a `ValidationError` naming what is missing when the
 * range holds fewer than `window` returns up to `atMs`.
 */
export function correlationGraph(req: CorrelationGraphRequest): GraphBody {
  const n = req.symbols.length;
  if (n < 2) throw new ValidationError(`a graph needs at least 2 symbols, got ${n}`);
  if (req.candles.length !== n) throw new ValidationError(`candles of ${req.candles.length} symbols given for ${n} symbols`);
  const filler = new HoleFiller(n);
  const returns: number[] = [];
  let steps = 0;
  let atMs = Number.NaN;
  for (const step of alignCandles(req.candles)) {
    if (step.time > req.atMs) break;
    const filled = filler.fill(step.candles);
    if (filled === undefined) continue;
    if (steps > 0) returns.push(...filled.logReturn);
    steps += 1;
    atMs = step.time;
  }
  const available = returns.length / n;
  if (available < req.window) {
    throw new ValidationError(
      `a window of ${req.window} log returns needs ${req.window + 1} candles of every symbol up to ${iso(req.atMs)}; ` +
        `the range ${iso(req.fromMs)} to ${iso(req.toMs)} holds ${available} return${available === 1 ? '' : 's'} there: start earlier or ask a smaller window`,
    );
  }
  const last = Float64Array.from(returns.slice(returns.length - req.window * n));
  const rho = pearsonMatrix(last, req.window, n);
  const edges = selectEdges(rho, n, req.rule ?? { kind: 'threshold', threshold: DEFAULT_EDGE_THRESHOLD });
  return {
    symbols: [...req.symbols],
    interval: req.interval,
    from: iso(req.fromMs),
    to: iso(req.toMs),
    from_ms: req.fromMs,
    to_ms: req.toMs,
    window: req.window,
    at: iso(atMs),
    at_ms: atMs,
    rule: req.rule ?? { kind: 'threshold', threshold: DEFAULT_EDGE_THRESHOLD },
    edges: edges.map((e) => ({ source: req.symbols[e.source] ?? '', target: req.symbols[e.target] ?? '', weight: e.weight })),
  };
}
