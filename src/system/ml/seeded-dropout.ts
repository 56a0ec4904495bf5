import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from './derive-seed.ts';
import { LayerPackage } from './graph-layer-args.ts';
import type { LayerArgs, LayerKwargs } from './graph-layer-args.ts';
import { singleInput } from './layer-inputs.ts';

export interface SeededDropoutArgs extends LayerArgs {
  /** Share of units zeroed while training. */
  readonly rate: number;
  /** This layer's own seed, mixed with the step's seed. */
  readonly seed: number;
}

/**
 * Dropout whose mask changes every training step yet follows from the run's seed: the trainer passes
 * `dropoutSeed` (derived from the run's seed and the step number) in the call's keyword arguments and
 * the mask is drawn from that mixed with this layer's seed. tfjs's own dropout layer takes one fixed
 * seed, which draws the same mask at every step.
 */
export class SeededDropout extends tf.layers.Layer {
  static className = 'SeededDropout';
  readonly rate: number;
  readonly seed: number;

  constructor(args: SeededDropoutArgs) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor {
    const x = singleInput(inputs, SeededDropout.className);
    if (kwargs['training'] !== true || this.rate === 0) return x;
    const stepSeed: unknown = kwargs['dropoutSeed'];
    if (typeof stepSeed !== 'number') throw new TypeError(`${SeededDropout.className} needs a numeric dropoutSeed while training`);
    return tf.dropout(x, this.rate, undefined, deriveSeed(stepSeed, this.seed));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout, LayerPackage);
