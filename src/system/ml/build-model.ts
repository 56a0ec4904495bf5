import * as tf from '@tensorflow/tfjs';
import { LabelClasses } from '../../actors/analytics/graph-samples.ts';
import type { ModelHyperparameters } from '../../actors/ports/model-backend.ts';
import { deriveSeed } from './derive-seed.ts';
import { GatV2Conv } from './gatv2-conv.ts';
import { GcnConv } from './gcn-conv.ts';
import { GcnNormalization } from './gcn-normalization.ts';
import { SeededDropout } from './seeded-dropout.ts';

/** A model's two faces over the same layers (and so the same weights). */
export interface BuiltModel {
  /** `[x, adjacency] → [batch, N, 3]` class probabilities: what is predicted with and saved. */
  readonly model: tf.LayersModel;
  /** `[x, adjacency] → [batch, N, 3]` logits: what is trained (cross-entropy from logits is stable). */
  readonly logits: tf.LayersModel;
}

type Symbolic = tf.SymbolicTensor;

/**
 * The architectures, all over the same samples: input `node_features` `[batch, N, F]`, and for the
 * graph models `adjacency` `[batch, N, N]` (N is free, so a model applies to a universe of another
 * size); output `[batch, N, 3]` class probabilities:
 * - `gcn`: dropout → GCNConv(F→hidden, ReLU) → dropout → GCNConv(hidden→3) → softmax (Kipf & Welling's two layers);
 * - `gatv2`: dropout → GATv2(heads × hidden/heads, concatenated, ReLU) → dropout → GATv2(1 head → 3) → softmax
 *   (the hidden width equals the GCN's, so the two differ in how they aggregate, not in capacity);
 * - `mlp`: the GCN with the graph taken away: dropout → dense(hidden, ReLU) → dropout → dense(3) → softmax;
 * - `logistic`: multinomial logistic regression per node: dense(3) → softmax.
 * Layers are named explicitly, so two runs give the same `model.json`; each initialiser and dropout
 * layer has a seed derived from `params.seed` and its layer's name.
 */
export function buildModel(params: ModelHyperparameters, features: number): BuiltModel {
  const x = tf.input({ shape: [null, features], name: 'node_features' });
  const adjacency = tf.input({ shape: [null, null], name: 'adjacency' });
  const seed = (layer: string) => deriveSeed(params.seed, 'layer', layer);
  const dropout = (name: string, input: Symbolic): Symbolic =>
    params.dropout > 0 ? apply(new SeededDropout({ name, rate: params.dropout, seed: seed(name) }), input) : input;
  const classes = LabelClasses.length;
  let logits: Symbolic;
  switch (params.arch) {
    case 'gcn': {
      const normalized = apply(new GcnNormalization({ name: 'gcn_normalization' }), adjacency);
      const hidden = apply(new GcnConv({ name: 'gcn_1', units: params.hidden, activation: 'relu', seed: seed('gcn_1') }), [dropout('dropout_1', x), normalized]);
      logits = apply(new GcnConv({ name: 'gcn_2', units: classes, activation: 'linear', seed: seed('gcn_2') }), [dropout('dropout_2', hidden), normalized]);
      break;
    }
    case 'gatv2': {
      const channels = params.hidden / params.heads;
      const hidden = apply(
        new GatV2Conv({ name: 'gatv2_1', heads: params.heads, channels, concat: true, activation: 'relu', seed: seed('gatv2_1') }),
        [dropout('dropout_1', x), adjacency],
      );
      logits = apply(
        new GatV2Conv({ name: 'gatv2_2', heads: 1, channels: classes, concat: false, activation: 'linear', seed: seed('gatv2_2') }),
        [dropout('dropout_2', hidden), adjacency],
      );
      break;
    }
    case 'mlp': {
      const hidden = apply(dense('dense_1', params.hidden, 'relu', seed('dense_1')), dropout('dropout_1', x));
      logits = apply(dense('dense_2', classes, 'linear', seed('dense_2')), dropout('dropout_2', hidden));
      break;
    }
    case 'logistic':
      logits = apply(dense('logistic', classes, 'linear', seed('logistic')), x);
      break;
  }
  const probabilities = apply(tf.layers.activation({ name: 'probabilities', activation: 'softmax' }), logits);
  // A saved model keeps only the inputs its outputs depend on: the baselines have `node_features` alone.
  const inputs = params.arch === 'mlp' || params.arch === 'logistic' ? [x] : [x, adjacency];
  return {
    model: tf.model({ name: params.arch, inputs, outputs: probabilities }),
    logits: tf.model({ name: `${params.arch}_logits`, inputs, outputs: logits }),
  };
}

function dense(name: string, units: number, activation: 'relu' | 'linear', seed: number): tf.layers.Layer {
  return tf.layers.dense({ name, units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: 'zeros' });
}

function apply(layer: tf.layers.Layer, input: Symbolic | Symbolic[]): Symbolic {
  const output = layer.apply(input);
  if (!(output instanceof tf.SymbolicTensor)) throw new TypeError(`layer ${layer.name} did not give one symbolic tensor`);
  return output;
}
