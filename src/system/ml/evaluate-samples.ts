import * as tf from '@tensorflow/tfjs';
import type { GraphSamples } from '../../actors/analytics/graph-samples.ts';
import { LabelClasses } from '../../actors/analytics/graph-samples.ts';
import { batchInputs, batchOf, batchOneHotLabels } from './graph-batch.ts';

export interface SampleScores {
  /** Mean softmax cross-entropy over every node of every snapshot. */
  readonly loss: number;
  /** Share of nodes whose most probable class is their label. */
  readonly accuracy: number;
}

/** Scores a logits model on samples in inference mode (no dropout), a batch at a time. */
export function evaluateSamples(logitsModel: tf.LayersModel, samples: GraphSamples, batchSize: number): SampleScores {
  const order = Int32Array.from({ length: samples.count }, (_, i) => i);
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < samples.count; from += batchSize) {
    const snapshots = batchOf(order, from, from + batchSize);
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const logits = tf.reshape(logitsModel.apply(batchInputs(samples, snapshots, logitsModel), { training: false }) as tf.Tensor, [-1, LabelClasses.length]);
      const labels = batchOneHotLabels(samples, snapshots);
      const losses = tf.losses.softmaxCrossEntropy(labels, logits, undefined, undefined, tf.Reduction.NONE);
      const hits = tf.equal(tf.argMax(logits, -1), tf.argMax(labels, -1));
      return [tf.sum(losses).dataSync()[0] ?? Number.NaN, tf.sum(tf.cast(hits, 'int32')).dataSync()[0] ?? 0];
    });
    lossSum += batchLoss;
    correct += batchCorrect;
  }
  const nodes = samples.count * samples.nodes;
  return { loss: lossSum / nodes, accuracy: correct / nodes };
}
