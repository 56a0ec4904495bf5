import * as tf from '@tensorflow/tfjs';

/**
 * `[batch, N, F] × [F, U] → [batch, N, U]` as a 2-D product: tfjs's gradient of `matMul(rank 3, rank 2)`
 * throws on every backend (tfjs#8721), so the nodes of all snapshots are stacked into rows first.
 */
export function nodeWiseMatMul(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
  const [batch, nodes, features] = x.shape;
  const units = kernel.shape[1];
  if (batch === undefined || nodes === undefined || features === undefined || units === undefined) {
    throw new TypeError(`nodeWiseMatMul expects [batch, N, F] × [F, U], got ${JSON.stringify(x.shape)} × ${JSON.stringify(kernel.shape)}`);
  }
  return tf.reshape(tf.matMul(tf.reshape(x, [batch * nodes, features]), kernel), [batch, nodes, units]);
}
