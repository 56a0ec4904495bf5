import { INTERVAL_MS, ValidationError } from '../../protocol/index.ts';
import type { Candle, GraphSnapshot, ModelMetadata } from '../../protocol/index.ts';
import { alignCandles } from './align-candles.ts';
import type { CandleFields } from './candle-series.ts';
import { FeatureScaler } from './feature-scaler.ts';
import { graphInputs } from './graph-inputs.ts';
import type { GraphInputs } from './graph-samples.ts';
import { GraphSnapshotBuilder } from './graph-snapshot-builder.ts';
import { indicatorWarmup } from './indicator-warmup.ts';
import { nodeFeaturePeriodsOf } from './node-feature-periods.ts';

/** What of a stored model `predict` needs to rebuild its inputs. */
export type PredictionModel = Pick<ModelMetadata, 'id' | 'symbols' | 'interval' | 'window' | 'edges' | 'features' | 'scaler' | 'data'>;

/** A stored candle as `predict` reads it: the analytics fields and when it closed. */
export type ClosedCandleFields = CandleFields & Pick<Candle, 'close_time'>;

export interface PredictionWarmup {
  /** Complete steps (candles of every symbol) before the first snapshot can be made: the graph-builder's warm-up, plus the step whose return is the first. */
  readonly steps: number;
  /**
   * Candles worth reading before the prediction's candle: `steps`, and enough more that the
   * recursive features (EMA, RSI, ATR) weigh their starting state less than 1e-8, as they do deep
   * into a training run.
   */
  readonly lookback: number;
}

export interface PredictionInputs {
  /** One snapshot (T = 1) of the model's N symbols, normalised with the model's scaler. */
  readonly inputs: GraphInputs;
  /** Open time of the last candle read: the last one closed at or before `at`. */
  readonly lastCandleMs: number;
  /** Complete steps the snapshot was built from. */
  readonly steps: number;
}

const DAY_MS = 86_400_000;

function builderFor(model: PredictionModel): GraphSnapshotBuilder {
  const periods = nodeFeaturePeriodsOf(model.features);
  return new GraphSnapshotBuilder({ queueId: `predict-${model.id}`, interval: model.interval, symbols: model.symbols, window: model.window, edges: model.edges, periods });
}

/** How much history a prediction of `model` reads. */
export function predictionWarmup(model: PredictionModel): PredictionWarmup {
  const steps = builderFor(model).warmupSteps + 1;
  const p = nodeFeaturePeriodsOf(model.features);
  const settle = Math.max(
    indicatorWarmup({ name: 'ema', period: p.ema }),
    indicatorWarmup({ name: 'rsi', period: p.rsi }),
    indicatorWarmup({ name: 'atr', period: p.atr }),
  );
  return { steps, lookback: steps + settle };
}

/** The earliest `at` a model can predict at: its data's start plus the warm-up (as its first training snapshot). */
export function earliestPrediction(model: PredictionModel): number {
  return model.data.from_ms + predictionWarmup(model).steps * INTERVAL_MS[model.interval];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Throws a `ValidationError` when `atMs` is before {@link earliestPrediction}, saying from when the model can predict. */
export function checkPredictionTime(model: PredictionModel, atMs: number): void {
  const earliest = earliestPrediction(model);
  if (atMs >= earliest) return;
  throw new ValidationError(
    `at ${iso(atMs)} is before model ${model.id} can predict: its data starts ${model.data.from} and its features need ` +
      `${predictionWarmup(model).steps} ${model.interval} candles first; accepted: at or after ${iso(earliest)}`,
  );
}

/**
 * The model's inputs at `atMs`, from candles closed at or before it only (a candle still open at
 * `atMs`, and any later one, is ignored: no look-ahead): the graph-builder's snapshot of the last
 * closed step, built from the candles given (each symbol's in increasing open time, in the model's
 * symbol order), normalised with the model's stored scaler. Throws a `ValidationError` when `atMs`
 * is before the model's data, when the candles hold fewer complete steps than the warm-up, or when
 * none of them closes within one candle of `atMs` (the store does not reach `at`).
 */
export function predictAt(model: PredictionModel, candles: ReadonlyArray<readonly ClosedCandleFields[]>, atMs: number): PredictionInputs {
  checkPredictionTime(model, atMs);
  if (candles.length !== model.symbols.length) throw new ValidationError(`candles of ${candles.length} symbols given for the model's ${model.symbols.length}`);
  const builder = builderFor(model);
  const closed = candles.map((list) => list.filter((c) => c.close_time < atMs));
  let snapshot: GraphSnapshot | undefined;
  let steps = 0;
  for (const step of alignCandles(closed)) {
    snapshot = builder.push(step.time, step.candles);
    steps += 1;
  }
  const needed = predictionWarmup(model).steps;
  if (snapshot === undefined) {
    throw new ValidationError(
      `not enough stored ${model.interval} candles closed by ${iso(atMs)}: model ${model.id} needs ${needed} steps with candles of all of ` +
        `${model.symbols.join(',')} (from about ${iso(atMs - needed * INTERVAL_MS[model.interval])}), ${steps} found`,
      { details: { needed, found: steps } },
    );
  }
  const lastClose = closed.reduce((last, list) => Math.max(last, (list.at(-1)?.close_time ?? Number.NEGATIVE_INFINITY) + 1), Number.NEGATIVE_INFINITY);
  const longest = model.interval === '1M' ? 31 * DAY_MS : INTERVAL_MS[model.interval];
  if (atMs - lastClose >= longest) {
    throw new ValidationError(
      `no stored ${model.interval} candle of ${model.symbols.join(',')} closes within one candle before ${iso(atMs)}: the last closes at ${iso(lastClose)}; ` +
        'the store does not reach that time',
      { details: { lastCloseMs: lastClose } },
    );
  }
  return { inputs: graphInputs([snapshot], FeatureScaler.fromState(model.scaler)), lastCandleMs: snapshot.time, steps };
}
