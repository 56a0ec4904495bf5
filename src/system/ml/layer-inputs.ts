import type * as tf from '@tensorflow/tfjs';
import type { LayerShape } from './graph-layer-args.ts';

/** The one tensor a single-input layer was called with. */
export function singleInput(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  const tensor = Array.isArray(inputs) ? inputs[0] : inputs;
  if (tensor === undefined || (Array.isArray(inputs) && inputs.length !== 1)) throw new TypeError(`${layer} takes one input`);
  return tensor;
}

/** The two tensors a `[node features, adjacency]` layer was called with. */
export function featuresAndAdjacency(inputs: tf.Tensor | tf.Tensor[], layer: string): [tf.Tensor, tf.Tensor] {
  if (!Array.isArray(inputs) || inputs.length !== 2) throw new TypeError(`${layer} takes [node features, adjacency]`);
  return [inputs[0] as tf.Tensor, inputs[1] as tf.Tensor];
}

/** The static shapes a `[node features, adjacency]` layer is built with; the feature count must be known. */
export function featureCountOf(inputShape: LayerShape, layer: string): number {
  const first = inputShape[0];
  const features = Array.isArray(first) ? first.at(-1) : undefined;
  if (typeof features !== 'number') throw new TypeError(`${layer} needs a known feature count (last dimension of its first input)`);
  return features;
}
