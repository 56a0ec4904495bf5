import { correlationGraph, warmupStart } from '../../actors/analytics/index.ts';
import type { Store } from '../../actors/index.ts';
import { approximateIntervalCount, edgeRuleOf, ValidationError } from '../../protocol/index.ts';
import type { EdgeRule, GraphBody, GraphQuery, Interval } from '../../protocol/index.ts';
import { noCandlesError } from './no-candles-error.ts';
import { queryUniverseCandles, symbolsWithoutCandles } from './universe-candles.ts';

export interface GraphRequest {
  readonly symbols: readonly string[];
  readonly interval: Interval;
  readonly fromMs: number;
  readonly toMs: number;
  /** The window ends at the last candle opening before it. @defaultValue `toMs` */
  readonly atMs?: number;
  readonly window: number;
  /** @defaultValue `{ kind: 'threshold', threshold: 0.3 }` */
  readonly rule?: EdgeRule;
  readonly signal?: AbortSignal;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * `streamforge graph`, `GET /graph`: the correlation graph of the `window` log returns ending at the
 * last candle opening before `at` (default: the range's end), from the stored candles of `[from, at)`.
 * Only the tail the window needs is read (a little more, then twice as much while holes leave it
 * short, down to `from`): once every symbol has had a candle, the hole rule's state is the one a read
 * of the whole range would have, so the answer is the same, in memory bounded by the window.
 */
export async function queryGraph(store: Store, req: GraphRequest): Promise<GraphBody> {
  const at = req.atMs ?? req.toMs;
  if (req.fromMs >= req.toMs) throw new ValidationError('invalid range: from must be before to (the range is half-open: [from, to))');
  if (at <= req.fromMs || at > req.toMs) {
    throw new ValidationError(`at ${iso(at)} is outside the range; accepted: after from (${iso(req.fromMs)}) and at most to (${iso(req.toMs)})`);
  }
  const slots = approximateIntervalCount(req.interval, req.fromMs, at);
  if (slots < req.window + 1) {
    throw new ValidationError(
      `[${iso(req.fromMs)}, ${iso(at)}) holds at most ${slots} ${req.interval} candle${slots === 1 ? '' : 's'}: a window of ${req.window} log returns needs ${req.window + 1}; ` +
        `accepted: a window from 3 to ${Math.max(3, slots - 1)} here, or an earlier from`,
    );
  }
  const empty = await symbolsWithoutCandles(store, { symbols: req.symbols, interval: req.interval, fromMs: req.fromMs, toMs: at });
  if (empty.length > 0) throw noCandlesError(empty, req.interval, req.fromMs, at);
  let span = req.window + 1 + Math.max(8, Math.ceil(req.window / 4));
  let previous = Number.NaN;
  for (;;) {
    const start = Math.max(req.fromMs, warmupStart(req.interval, at, span));
    // The whole range read (or as far back as time goes: a range starting before 1970): nothing more to widen.
    const whole = start <= req.fromMs || start === previous;
    previous = start;
    const candles = await queryUniverseCandles(store, { symbols: req.symbols, interval: req.interval, fromMs: start, toMs: at, ...(req.signal ? { signal: req.signal } : {}) });
    try {
      return correlationGraph({
        symbols: req.symbols,
        interval: req.interval,
        fromMs: req.fromMs,
        toMs: req.toMs,
        window: req.window,
        atMs: at,
        ...(req.rule ? { rule: req.rule } : {}),
        candles,
      });
    } catch (err) {
      // Too few returns in the tail read (holes): read twice as far back, up to the range's start.
      if (!(err instanceof ValidationError) || whole) throw err;
      span *= 2;
    }
  }
}

/** The request of a checked `GraphQuery` (the API's query string, the CLI's flags). */
export function graphRequestOf(q: GraphQuery): GraphRequest {
  const rule = edgeRuleOf(q);
  return {
    symbols: q.symbols,
    interval: q.interval,
    fromMs: q.from,
    toMs: q.to,
    window: q.window,
    ...(q.at !== undefined ? { atMs: q.at } : {}),
    ...(rule ? { rule } : {}),
  };
}
