import { z } from 'zod';
import { EdgeRule } from './graph.ts';
import { FeatureScalerState } from './feature-scaler.ts';
import { Interval } from './intervals.ts';

/** Classes a model predicts, in the order of its probabilities. */
export const ModelClasses = ['UP', 'DOWN', 'FLAT'] as const;
export const ModelClass = z.enum(ModelClasses);
export type ModelClass = z.infer<typeof ModelClass>;

/** Scores on a model's test period. */
export const ModelScore = z.object({
  accuracy: z.number().min(0).max(1),
  macro_f1: z.number().min(0).max(1),
  log_loss: z.number().nonnegative(),
});
export type ModelScore = z.infer<typeof ModelScore>;

/** The graph network beside its baselines, all on the same test samples. */
export const ModelMetrics = z.object({ gnn: ModelScore, mlp: ModelScore, logistic: ModelScore, majority: ModelScore });
export type ModelMetrics = z.infer<typeof ModelMetrics>;

/** A time span of the data, as every JSON answer gives it: ISO 8601 and epoch ms; `samples` snapshots. */
export const ModelPeriod = z.object({
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  from_ms: z.number().int(),
  to_ms: z.number().int(),
  samples: z.number().int().nonnegative(),
});
export type ModelPeriod = z.infer<typeof ModelPeriod>;

export const ModelEpoch = z.object({
  epoch: z.number().int().positive(),
  loss: z.number(),
  val_loss: z.number(),
  val_accuracy: z.number(),
  seconds: z.number().nonnegative(),
});
export type ModelEpoch = z.infer<typeof ModelEpoch>;

export const ModelArchName = z.enum(['gcn', 'gatv2']);
export type ModelArchName = z.infer<typeof ModelArchName>;

export const ModelHyperparametersBody = z.object({
  arch: ModelArchName,
  hidden: z.number().int().positive(),
  heads: z.number().int().positive(),
  dropout: z.number().min(0).max(1),
  learning_rate: z.number().positive(),
  epochs: z.number().int().positive(),
  patience: z.number().int().positive(),
  batch_size: z.number().int().positive(),
});
export type ModelHyperparametersBody = z.infer<typeof ModelHyperparametersBody>;

/**
 * A trained model: `metadata.json` beside `model.json` and `weights.bin` under `models/<id>/` in the
 * object store, and the same document in the `models` registry collection (which lists only models
 * whose files were all written: the metadata goes last).
 */
export const ModelMetadata = z.object({
  id: z.string().min(1),
  created_at: z.iso.datetime(),
  created_at_ms: z.number().int(),
  /** The workflow that trained it. */
  queue_id: z.string().min(1),
  /** Symbols and interval: models of one universe are versions of each other (`MODEL_KEEP` kept). */
  universe: z.string().min(1),
  symbols: z.array(z.string()).min(2),
  interval: Interval,
  /** Candles ahead the label looks. */
  horizon: z.number().int().positive(),
  /** Candles of log returns per correlation. */
  window: z.number().int().positive(),
  edges: EdgeRule,
  features: z.array(z.string()).min(1),
  /** The candles the workflow read, and the three periods of snapshots (purge gaps between them). */
  data: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), from_ms: z.number().int(), to_ms: z.number().int() }),
  split: z.object({ train: ModelPeriod, val: ModelPeriod, test: ModelPeriod, gap: z.number().int().nonnegative() }),
  /** |forward log return| at or below which a label is FLAT, from the training labels only. */
  flat_band: z.number().nonnegative(),
  /** Class priors of the training labels (the majority baseline), UP/DOWN/FLAT. */
  priors: z.array(z.number()).length(3),
  scaler: FeatureScalerState,
  hyperparameters: ModelHyperparametersBody,
  seed: z.number().int(),
  /** The tfjs backend it was trained on (results agree across backends to about 1e-7 only). */
  backend: z.string().min(1),
  metrics: ModelMetrics,
  /** Promoted: it beats its own MLP baseline on its test period (more accurate, lower log loss than the MLP and the priors). */
  promoted: z.boolean(),
  /** Per epoch of the graph network: loss, validation loss and accuracy. */
  history: z.array(ModelEpoch),
  best_epoch: z.number().int().nonnegative(),
  files: z.object({ model: z.string(), weights: z.string(), metadata: z.string() }),
  sha256: z.object({ model: z.string().regex(/^[0-9a-f]{64}$/), weights: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** Where the model is: `s3://bucket/models/<id>/` or a `file://` directory. */
  uri: z.string().min(1),
  code_version: z.string().min(1),
});
export type ModelMetadata = z.infer<typeof ModelMetadata>;

/** `streamforge train --json` and the trainer's answer: the model, its data and its test scores beside the baselines. */
export const TrainResult = z.object({
  model: z.object({ id: z.string(), uri: z.string(), promoted: z.boolean() }),
  backend: z.string(),
  symbols: z.array(z.string()),
  interval: Interval,
  horizon: z.number().int().positive(),
  split: z.object({ train: ModelPeriod, val: ModelPeriod, test: ModelPeriod }),
  metrics: ModelMetrics,
});
export type TrainResult = z.infer<typeof TrainResult>;

/** One symbol's forecast at a time. */
export const SymbolPrediction = z.object({
  symbol: z.string(),
  class: ModelClass,
  probabilities: z.object({ UP: z.number(), DOWN: z.number(), FLAT: z.number() }),
});

/** `predict`, `GET /models/{id}/predict?at=`: the classes `horizon` candles after the last candle closed at `at`. */
export const PredictionBody = z.object({
  model: z.string(),
  interval: Interval,
  horizon: z.number().int().positive(),
  at: z.iso.datetime(),
  at_ms: z.number().int(),
  /** Open time of the last candle the prediction read (closed at or before `at`). */
  last_candle: z.iso.datetime(),
  last_candle_ms: z.number().int(),
  predictions: z.array(SymbolPrediction),
});
export type PredictionBody = z.infer<typeof PredictionBody>;

/** `GET /models`: newest first. */
export const ModelListBody = z.object({ models: z.array(ModelMetadata.omit({ history: true, scaler: true })) });
export type ModelListBody = z.infer<typeof ModelListBody>;
