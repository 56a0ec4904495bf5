import * as tf from '@tensorflow/tfjs';
import { LayerPackage } from './graph-layer-args.ts';
import type { LayerArgs } from './graph-layer-args.ts';
import { singleInput } from './layer-inputs.ts';

/**
 * PyTorch Geometric's `gcn_norm` on a dense batch: from edge weights `A` (`[batch, N, N]`, Pearson ρ,
 * zero diagonal) it gives `D^-1/2 Â D^-1/2` with `Â = |A| + I` and `D_ii = Σ_j Â_ij`. A negative
 * correlation is as informative as a positive one, so its magnitude weighs the edge; the self loop keeps
 * a node's own features and makes every degree at least 1.
 */
export class GcnNormalization extends tf.layers.Layer {
  static className = 'GcnNormalization';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const adjacency = singleInput(inputs, GcnNormalization.className);
      const nodes = adjacency.shape[1] ?? 0;
      const withSelfLoops = tf.add(tf.abs(adjacency), tf.eye(nodes));
      const inverseRootDegree = tf.rsqrt(tf.sum(withSelfLoops, -1));
      return tf.mul(tf.mul(withSelfLoops, tf.expandDims(inverseRootDegree, 2)), tf.expandDims(inverseRootDegree, 1));
    });
  }
}
tf.serialization.registerClass(GcnNormalization, LayerPackage);
