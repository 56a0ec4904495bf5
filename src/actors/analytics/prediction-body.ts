import { ModelClasses, ValidationError } from '../../protocol/index.ts';
import type { ModelMetadata, PredictionBody } from '../../protocol/index.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The answer of `predict`: per symbol (the model's order), the class of largest probability and the
 * three probabilities, from a model's `[1, N, 3]` output (UP, DOWN, FLAT: `ModelClasses` order).
 * A tie goes to the class listed first.
 */
export function predictionBody(
  model: Pick<ModelMetadata, 'id' | 'symbols' | 'interval' | 'horizon'>,
  atMs: number,
  lastCandleMs: number,
  probabilities: ArrayLike<number>,
): PredictionBody {
  const k = ModelClasses.length;
  const n = model.symbols.length;
  if (probabilities.length !== n * k) throw new ValidationError(`the model answered ${probabilities.length} probabilities for ${n} symbols × ${k} classes`);
  const predictions = model.symbols.map((symbol, i) => {
    const p = ModelClasses.map((_, c) => probabilities[i * k + c] ?? Number.NaN);
    let best = 0;
    for (let c = 1; c < k; c++) if ((p[c] ?? Number.NaN) > (p[best] ?? Number.NaN)) best = c;
    return { symbol, class: ModelClasses[best] ?? 'FLAT', probabilities: { UP: p[0] ?? Number.NaN, DOWN: p[1] ?? Number.NaN, FLAT: p[2] ?? Number.NaN } };
  });
  return {
    model: model.id,
    interval: model.interval,
    horizon: model.horizon,
    at: iso(atMs),
    at_ms: atMs,
    last_candle: iso(lastCandleMs),
    last_candle_ms: lastCandleMs,
    predictions,
  };
}
