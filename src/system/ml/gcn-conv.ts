import * as tf from '@tensorflow/tfjs';
import { applyActivation } from './apply-activation.ts';
import { LayerPackage } from './graph-layer-args.ts';
import type { GraphActivation, LayerArgs, LayerShape } from './graph-layer-args.ts';
import { featureCountOf, featuresAndAdjacency } from './layer-inputs.ts';
import { nodeWiseMatMul } from './node-wise-mat-mul.ts';

export interface GcnConvArgs extends LayerArgs {
  readonly units: number;
  readonly activation: GraphActivation;
  /** Seed of the Glorot-uniform kernel initialiser. */
  readonly seed: number;
}

/**
 * A graph convolution as PyTorch Geometric's `GCNConv` (Kipf & Welling), on a dense batch:
 * `H' = σ(Â_norm · H · W + b)` where `Â_norm = D^-1/2 (|A| + I) D^-1/2` comes from {@link GcnNormalization}.
 * Inputs `[H: [batch, N, F], Â_norm: [batch, N, N]]`, output `[batch, N, units]`. Kernel Glorot-uniform,
 * bias zero (as PyG). Batched `matMul` instead of edge-list scatter: tfjs's WASM backend has no
 * gradient for `gather`/`UnsortedSegmentSum`, and a few hundred nodes make `N×N` cheap.
 */
export class GcnConv extends tf.layers.Layer {
  static className = 'GcnConv';
  readonly units: number;
  readonly activation: GraphActivation;
  readonly seed: number;
  private kernel: tf.LayerVariable | undefined;
  private bias: tf.LayerVariable | undefined;

  constructor(args: GcnConvArgs) {
    super(args);
    this.units = args.units;
    this.activation = args.activation;
    this.seed = args.seed;
  }

  override build(inputShape: LayerShape): void {
    const features = featureCountOf(inputShape, GcnConv.className);
    this.kernel = this.addWeight('kernel', [features, this.units], 'float32', tf.initializers.glorotUniform({ seed: this.seed }));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const first = inputShape[0];
    if (!Array.isArray(first)) throw new TypeError(`${GcnConv.className} takes [node features, adjacency]`);
    return [...first.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [h, normalizedAdjacency] = featuresAndAdjacency(inputs, GcnConv.className);
      if (this.kernel === undefined || this.bias === undefined) throw new TypeError(`${GcnConv.className} called before it was built`);
      const transformed = nodeWiseMatMul(h, this.kernel.read());
      return applyActivation(tf.add(tf.matMul(normalizedAdjacency, transformed), this.bias.read()), this.activation);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, activation: this.activation, seed: this.seed };
  }
}
tf.serialization.registerClass(GcnConv, LayerPackage);
