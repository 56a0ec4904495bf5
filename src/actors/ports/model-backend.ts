import type { GraphInputs, GraphSamples } from '../analytics/graph-samples.ts';

/** Learned models: two graph networks and the graph-free baselines trained on the same samples. */
export const ModelArchs = ['gcn', 'gatv2', 'mlp', 'logistic'] as const;
export type ModelArch = (typeof ModelArchs)[number];

export const ModelBackendNames = ['wasm', 'cpu', 'tensorflow'] as const;
export type ModelBackendName = (typeof ModelBackendNames)[number];

export interface ModelHyperparameters {
  readonly arch: ModelArch;
  /** Units of each hidden layer (the MLP uses the GCN's sizes). @defaultValue 16 */
  readonly hidden: number;
  /** Attention heads (`gatv2` only). @defaultValue 4 */
  readonly heads: number;
  /** @defaultValue 0.1 */
  readonly dropout: number;
  /** Adam's learning rate. @defaultValue 0.01 */
  readonly learningRate: number;
  /** Most epochs; early stopping on validation loss may end sooner. @defaultValue 60 */
  readonly epochs: number;
  /** Epochs without a better validation loss before stopping (the best weights are kept). @defaultValue 8 */
  readonly patience: number;
  /** Snapshots per batch. @defaultValue 64 */
  readonly batchSize: number;
  /** Every random choice (initialisation, shuffling, dropout) derives from it. */
  readonly seed: number;
}

export interface EpochStats {
  readonly epoch: number;
  readonly loss: number;
  readonly val_loss: number;
  readonly val_accuracy: number;
  readonly seconds: number;
}

/** A model as files: tfjs's `model.json` (topology and weights manifest) and the weights binary. */
export interface ModelArtifacts {
  readonly modelJson: string;
  readonly weights: Uint8Array;
}

export interface TrainedModel {
  readonly arch: ModelArch;
  /** `[T, N, 3]` class probabilities in {@link LabelClasses} order. */
  predict(inputs: GraphInputs): Float32Array;
  serialize(): Promise<ModelArtifacts>;
  dispose(): void;
}

export interface FitResult {
  /** The weights of the best validation epoch. */
  readonly model: TrainedModel;
  readonly history: readonly EpochStats[];
  readonly bestEpoch: number;
}

export interface FitOptions {
  readonly signal?: AbortSignal;
  readonly onEpoch?: (stats: EpochStats) => void;
}

/** Trains and loads models; tfjs with its backend chosen once by the composition root. */
export interface ModelBackend {
  readonly name: ModelBackendName;
  fit(params: ModelHyperparameters, train: GraphSamples, val: GraphSamples, options?: FitOptions): Promise<FitResult>;
  load(arch: ModelArch, artifacts: ModelArtifacts): Promise<TrainedModel>;
  /** Live tensors and bytes, for leak checks. */
  memory(): { readonly numTensors: number; readonly numBytes: number };
}
