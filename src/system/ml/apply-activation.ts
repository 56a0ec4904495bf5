import * as tf from '@tensorflow/tfjs';
import type { GraphActivation } from './graph-layer-args.ts';

export function applyActivation(x: tf.Tensor, activation: GraphActivation): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'linear':
      return x;
  }
}
