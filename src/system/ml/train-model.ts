import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import * as tf from '@tensorflow/tfjs';
import type { GraphSamples } from '../../actors/analytics/graph-samples.ts';
import { LabelClasses } from '../../actors/analytics/graph-samples.ts';
import type { EpochStats, FitOptions, ModelHyperparameters } from '../../actors/ports/model-backend.ts';
import { ValidationError } from '../../protocol/index.ts';
import type { BuiltModel } from './build-model.ts';
import { deriveSeed } from './derive-seed.ts';
import { evaluateSamples } from './evaluate-samples.ts';
import { batchInputs, batchOf, batchOneHotLabels } from './graph-batch.ts';
import { SeededShuffle } from './seeded-shuffle.ts';

export interface TrainingOutcome {
  readonly history: readonly EpochStats[];
  /** 1-based number of the epoch whose weights the model now holds. */
  readonly bestEpoch: number;
}

/**
 * Adam on the mean softmax cross-entropy of every node of every snapshot, in shuffled mini-batches of
 * snapshots; after each epoch the validation loss decides: a better one keeps a copy of the weights,
 * `patience` epochs without one stop the run, and the best copy is put back. Random choices follow
 * from `params.seed` alone (shuffle order; a dropout seed per step), so a run is repeatable on one
 * backend. The event loop gets a turn between batches, where `signal` is honoured.
 */
export async function trainModel(
  built: BuiltModel,
  params: ModelHyperparameters,
  train: GraphSamples,
  val: GraphSamples,
  options: FitOptions = {},
): Promise<TrainingOutcome> {
  const optimizer = tf.train.adam(params.learningRate);
  const variables = built.logits.trainableWeights.map((w) => w.read() as tf.Variable);
  const shuffle = new SeededShuffle(deriveSeed(params.seed, 'shuffle'));
  const history: EpochStats[] = [];
  let best: { epoch: number; loss: number; weights: tf.Tensor[] } | undefined;
  let step = 0;
  try {
    for (let epoch = 1; epoch <= params.epochs; epoch++) {
      const started = performance.now();
      const order = shuffle.permutation(train.count);
      let lossSum = 0;
      for (let from = 0; from < train.count; from += params.batchSize) {
        options.signal?.throwIfAborted();
        const snapshots = batchOf(order, from, from + params.batchSize);
        const dropoutSeed = deriveSeed(params.seed, 'dropout', ++step);
        const loss = tf.tidy(() => {
          const inputs = batchInputs(train, snapshots, built.logits);
          const labels = batchOneHotLabels(train, snapshots);
          const batchLoss = optimizer.minimize(
            () => {
              const logits = built.logits.apply(inputs, { training: true, dropoutSeed }) as tf.Tensor;
              return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(labels, tf.reshape(logits, [-1, LabelClasses.length]));
            },
            true,
            variables,
          );
          if (batchLoss === null) throw new TypeError('optimizer.minimize returned no loss');
          return batchLoss;
        });
        lossSum += ((await loss.data())[0] ?? Number.NaN) * snapshots.length;
        loss.dispose();
        await yieldToEventLoop();
      }
      const scores = evaluateSamples(built.logits, val, params.batchSize);
      const stats: EpochStats = {
        epoch,
        loss: lossSum / train.count,
        val_loss: scores.loss,
        val_accuracy: scores.accuracy,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(stats);
      if (Number.isFinite(stats.val_loss) && (best === undefined || stats.val_loss < best.loss)) {
        best?.weights.forEach((w) => w.dispose());
        best = { epoch, loss: stats.val_loss, weights: tf.tidy(() => built.model.getWeights().map((w) => w.clone())) };
      }
      options.onEpoch?.(stats);
      if (epoch - (best?.epoch ?? 0) >= params.patience) break;
    }
    if (best === undefined) {
      throw new ValidationError(`training diverged: no epoch had a finite validation loss; try a smaller learningRate (was ${params.learningRate})`);
    }
    built.model.setWeights(best.weights);
    return { history, bestEpoch: best.epoch };
  } finally {
    best?.weights.forEach((w) => w.dispose());
    optimizer.dispose();
  }
}
