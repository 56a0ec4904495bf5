import { createHash } from 'node:crypto';
import { INTERVAL_MS, newShortId } from '../../protocol/index.ts';
import type { GnnParams, GraphSnapshot, ModelPeriod, TrainResult, ModelMetadata } from '../../protocol/index.ts';
import type { SplitPart, UniverseTrainingResult } from '../analytics/index.ts';
import type { NewModel } from '../models/model-repository.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/** Models of one symbol set and interval are versions of each other: `<interval>-<sha256 of the sorted symbols, 12 hex>`. */
export function universeOf(symbols: readonly string[], interval: string): string {
  const digest = createHash('sha256').update([...symbols].sort().join(',')).digest('hex').slice(0, 12);
  return `${interval}-${digest}`;
}

/** A model id that sorts by creation: `m-<YYYYMMDDTHHMMSS>-<6 hex>`. */
export function newModelId(nowMs: number): string {
  return `m-${iso(nowMs).slice(0, 19).replaceAll(/[-:]/g, '')}-${newShortId()}`;
}

export interface ModelRecordInput {
  readonly queueId: string;
  readonly nowMs: number;
  readonly gnn: GnnParams;
  /** The snapshots trained on, in time order. */
  readonly snapshots: readonly GraphSnapshot[];
  /** The range the workflow read candles from. */
  readonly dataFromMs: number;
  readonly result: UniverseTrainingResult;
  readonly backend: string;
  readonly codeVersion: string;
}

/** Everything `metadata.json` says of a freshly trained model, but where it is stored. */
export function newModelRecord(input: ModelRecordInput): NewModel {
  const { gnn, snapshots, result } = input;
  const step = INTERVAL_MS[gnn.interval];
  const period = (part: SplitPart): ModelPeriod => {
    const from = snapshots[part.start]?.time ?? 0;
    const to = (snapshots[part.end - 1]?.time ?? from) + step;
    return { from: iso(from), to: iso(to), from_ms: from, to_ms: to, samples: part.end - part.start };
  };
  const last = (snapshots.at(-1)?.time ?? input.dataFromMs) + step;
  const h = result.hyperparameters;
  const gnnFit = result.fits.gnn;
  return {
    id: newModelId(input.nowMs),
    created_at: iso(input.nowMs),
    created_at_ms: input.nowMs,
    queue_id: input.queueId,
    universe: universeOf(gnn.symbols, gnn.interval),
    symbols: [...gnn.symbols],
    interval: gnn.interval,
    horizon: gnn.horizon,
    window: gnn.window,
    edges: gnn.edges,
    features: [...(snapshots[0]?.features ?? [])],
    data: { from: iso(input.dataFromMs), to: iso(last), from_ms: input.dataFromMs, to_ms: last },
    split: { train: period(result.dataset.split.train), val: period(result.dataset.split.val), test: period(result.dataset.split.test), gap: result.dataset.split.gap },
    flat_band: result.dataset.flatBand,
    priors: [...result.priors],
    scaler: result.dataset.scaler.toState(),
    hyperparameters: {
      arch: gnn.arch,
      hidden: h.hidden,
      heads: h.heads,
      dropout: h.dropout,
      learning_rate: h.learningRate,
      epochs: h.epochs,
      patience: h.patience,
      batch_size: h.batchSize,
    },
    seed: h.seed,
    backend: input.backend,
    metrics: result.metrics,
    promoted: result.promoted,
    history: gnnFit.history.map((e) => ({ epoch: e.epoch, loss: e.loss, val_loss: e.val_loss, val_accuracy: e.val_accuracy, seconds: e.seconds })),
    best_epoch: gnnFit.bestEpoch,
    code_version: input.codeVersion,
  };
}

/** What `train --json` prints of a stored model. */
export function trainResultOf(model: ModelMetadata): TrainResult {
  return {
    model: { id: model.id, uri: model.uri, promoted: model.promoted },
    backend: model.backend,
    symbols: model.symbols,
    interval: model.interval,
    horizon: model.horizon,
    split: { train: model.split.train, val: model.split.val, test: model.split.test },
    metrics: model.metrics,
  };
}
