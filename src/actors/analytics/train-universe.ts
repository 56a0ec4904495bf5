import { ValidationError } from '../../protocol/index.ts';
import type { EpochStats, FitResult, ModelArch, ModelBackend, ModelHyperparameters } from '../ports/model-backend.ts';
import { classificationMetrics } from './classification-metrics.ts';
import type { ClassificationMetrics } from './classification-metrics.ts';
import { buildGraphDataset } from './graph-dataset.ts';
import type { DatasetSnapshot, GraphDataset } from './graph-dataset.ts';
import { LabelClasses } from './graph-samples.ts';
import type { GraphSamples } from './graph-samples.ts';
import { classPriors, majorityBaseline } from './majority-baseline.ts';
import type { SplitShares } from './purged-split.ts';

/** The graph network being trained; the baselines are always the MLP, logistic regression and the majority class. */
export type GraphArch = Extract<ModelArch, 'gcn' | 'gatv2'>;

/** Defaults shared by every model of a run (the MLP takes the GCN's sizes, so only the edges differ). */
export const DEFAULT_HYPERPARAMETERS: Omit<ModelHyperparameters, 'arch' | 'seed'> = Object.freeze({
  hidden: 16,
  heads: 4,
  dropout: 0.1,
  learningRate: 0.01,
  epochs: 60,
  patience: 8,
  batchSize: 64,
});

export interface UniverseTrainingOptions {
  readonly arch: GraphArch;
  /** Candles ahead the label looks. */
  readonly horizon: number;
  readonly seed: number;
  /** Most epochs of each model. @defaultValue 60 */
  readonly epochs?: number;
  /** @defaultValue 0.7 / 0.15 / 0.15 */
  readonly split?: SplitShares;
  /** Overrides of {@link DEFAULT_HYPERPARAMETERS}. */
  readonly hyperparameters?: Partial<Omit<ModelHyperparameters, 'arch' | 'seed'>>;
  readonly signal?: AbortSignal;
  /** After each epoch of each model, in training order: the graph network, then the MLP, then logistic regression. */
  readonly onEpoch?: (model: ModelArch, stats: EpochStats, maxEpochs: number) => void;
}

/** Test-period scores, as the API and `metadata.json` give them. */
export interface ModelScore {
  readonly accuracy: number;
  readonly macro_f1: number;
  readonly log_loss: number;
}

export interface UniverseTrainingResult {
  readonly dataset: GraphDataset;
  readonly hyperparameters: ModelHyperparameters;
  /** The graph network and the two learned baselines, each with its best epoch's weights. */
  readonly fits: { readonly gnn: FitResult; readonly mlp: FitResult; readonly logistic: FitResult };
  readonly metrics: { readonly gnn: ModelScore; readonly mlp: ModelScore; readonly logistic: ModelScore; readonly majority: ModelScore };
  /** The training period's class priors (the majority baseline), in {@link LabelClasses} order. */
  readonly priors: readonly number[];
  /** True when the graph network beats its own MLP baseline on the test period: see {@link promotable}. */
  readonly promoted: boolean;
}

/**
 * Trains a graph network on a universe's snapshots and, on exactly the same samples and features,
 * the baselines that measure what it adds: an MLP with its layer sizes but no edges, multinomial
 * logistic regression, and the training period's class priors. Every score is on the test period,
 * which no fit, normalisation or label band has seen. Callers dispose the fitted models.
 */
export async function trainUniverse(snapshots: readonly DatasetSnapshot[], backend: ModelBackend, options: UniverseTrainingOptions): Promise<UniverseTrainingResult> {
  const dataset = buildGraphDataset(snapshots, { horizon: options.horizon, ...(options.split ? { split: options.split } : {}) });
  const base: Omit<ModelHyperparameters, 'arch'> = {
    ...DEFAULT_HYPERPARAMETERS,
    ...options.hyperparameters,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    seed: options.seed,
  };
  if (!Number.isInteger(base.epochs) || base.epochs < 1) throw new ValidationError(`epochs must be a positive whole number, got ${base.epochs}`);
  const fitted: FitResult[] = [];
  try {
    const fit = async (arch: ModelArch): Promise<FitResult> => {
      const result = await backend.fit({ ...base, arch }, dataset.train, dataset.val, {
        ...(options.signal ? { signal: options.signal } : {}),
        onEpoch: (stats) => options.onEpoch?.(arch, stats, base.epochs),
      });
      fitted.push(result);
      return result;
    };
    const gnn = await fit(options.arch);
    const mlp = await fit('mlp');
    const logistic = await fit('logistic');
    const priors = classPriors(dataset.train.labels, LabelClasses.length);
    const metrics = {
      gnn: score(dataset.test, gnn.model.predict(dataset.test)),
      mlp: score(dataset.test, mlp.model.predict(dataset.test)),
      logistic: score(dataset.test, logistic.model.predict(dataset.test)),
      majority: score(dataset.test, majorityBaseline(priors, dataset.test.labels.length)),
    };
    return {
      dataset,
      hyperparameters: { ...base, arch: options.arch },
      fits: { gnn, mlp, logistic },
      metrics,
      priors: [...priors],
      promoted: promotable(metrics),
    };
  } catch (err) {
    for (const f of fitted) f.model.dispose();
    throw err;
  }
}

/**
 * The promotion rule: on the test period the graph network is strictly more accurate than its MLP
 * baseline and has a lower log loss than both the MLP and the class priors. The second half keeps a
 * lucky draw on a market without structure (a few hundredths of accuracy either way) from being
 * promoted: a model no better calibrated than the priors has learned nothing.
 */
export function promotable(metrics: { readonly gnn: ModelScore; readonly mlp: ModelScore; readonly majority: ModelScore }): boolean {
  const { gnn, mlp, majority } = metrics;
  return gnn.accuracy > mlp.accuracy && gnn.log_loss < mlp.log_loss && gnn.log_loss < majority.log_loss;
}

function score(samples: GraphSamples, probabilities: ArrayLike<number>): ModelScore {
  const m: ClassificationMetrics = classificationMetrics(samples.labels, probabilities, LabelClasses.length);
  return { accuracy: m.accuracy, macro_f1: m.macroF1, log_loss: m.logLoss };
}
