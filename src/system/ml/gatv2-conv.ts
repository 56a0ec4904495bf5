import * as tf from '@tensorflow/tfjs';
import { applyActivation } from './apply-activation.ts';
import { deriveSeed } from './derive-seed.ts';
import { LayerPackage } from './graph-layer-args.ts';
import type { GraphActivation, LayerArgs, LayerShape } from './graph-layer-args.ts';
import { featureCountOf, featuresAndAdjacency } from './layer-inputs.ts';
import { nodeWiseMatMul } from './node-wise-mat-mul.ts';

export interface GatV2ConvArgs extends LayerArgs {
  readonly heads: number;
  /** Units per head. */
  readonly channels: number;
  /** Heads concatenated (`heads × channels` units out) or averaged (`channels` out). */
  readonly concat: boolean;
  readonly activation: GraphActivation;
  /** Seed of the Glorot-uniform initialisers (each weight derives its own). */
  readonly seed: number;
}

/** Slope of the LeakyReLU inside the attention score, as PyG's `GATv2Conv`. */
const NEGATIVE_SLOPE = 0.2;
/** Added to the score of a pair with no edge: its attention weight underflows to exactly 0. */
const NO_EDGE = -1e9;

/**
 * Graph attention as PyTorch Geometric's `GATv2Conv` (Brody et al.), dense over a batch of graphs.
 * For each head: `e_ij = aᵀ LeakyReLU(W_t h_i + W_s h_j)`, `α_ij = softmax_j(e_ij)` over the neighbours
 * of `i` (a non-zero edge weight) and `i` itself, everything else masked out; `h'_i = Σ_j α_ij W_s h_j`;
 * heads concatenated or averaged, then `+ b` and the activation. Edges only decide who attends to whom:
 * their weights are not features here (PyG's lin_l/lin_r biases are left out: `b` comes after mixing).
 * The pairwise term holds `N² × batch × heads × channels` values, which is what GATv2 costs; batched
 * `matMul` throughout (no `gather` gradient on WASM).
 */
export class GatV2Conv extends tf.layers.Layer {
  static className = 'GatV2Conv';
  readonly heads: number;
  readonly channels: number;
  readonly concat: boolean;
  readonly activation: GraphActivation;
  readonly seed: number;
  private params: { source: tf.LayerVariable; target: tf.LayerVariable; attention: tf.LayerVariable; bias: tf.LayerVariable } | undefined;

  constructor(args: GatV2ConvArgs) {
    super(args);
    this.heads = args.heads;
    this.channels = args.channels;
    this.concat = args.concat;
    this.activation = args.activation;
    this.seed = args.seed;
  }

  override build(inputShape: LayerShape): void {
    const features = featureCountOf(inputShape, GatV2Conv.className);
    const width = this.heads * this.channels;
    const glorot = (weight: string) => tf.initializers.glorotUniform({ seed: deriveSeed(this.seed, weight) });
    this.params = {
      source: this.addWeight('kernel_source', [features, width], 'float32', glorot('kernel_source')),
      target: this.addWeight('kernel_target', [features, width], 'float32', glorot('kernel_target')),
      attention: this.addWeight('attention', [this.heads, this.channels], 'float32', glorot('attention')),
      bias: this.addWeight('bias', [this.concat ? width : this.channels], 'float32', tf.initializers.zeros()),
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const first = inputShape[0];
    if (!Array.isArray(first)) throw new TypeError(`${GatV2Conv.className} takes [node features, adjacency]`);
    return [...first.slice(0, -1), this.concat ? this.heads * this.channels : this.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [h, adjacency] = featuresAndAdjacency(inputs, GatV2Conv.className);
      const w = this.params;
      if (w === undefined) throw new TypeError(`${GatV2Conv.className} called before it was built`);
      const [batch = 0, nodes = 0] = h.shape;
      const { heads, channels } = this;
      const width = heads * channels;
      const source = nodeWiseMatMul(h, w.source.read()); // [batch, N, heads × channels]
      const target = nodeWiseMatMul(h, w.target.read());
      // Pairs laid out [N (i), N (j), batch × heads × channels]: rank 3 keeps the reductions of the
      // backward pass on tfjs's fast paths (with rank-5 broadcasts the backward pass spent most of its time in WASM's Sum).
      const byNode = (t: tf.Tensor) => tf.transpose(t, [1, 0, 2]).reshape([nodes, batch * width]);
      const pairs = tf.leakyRelu(tf.add(tf.expandDims(byNode(target), 1), tf.expandDims(byNode(source), 0)), NEGATIVE_SLOPE);
      // aᵀ per head as one product with a block-diagonal [heads, heads × channels] matrix, taken transposed:
      // the backward product then needs no transpose (WASM's transposed matMul takes a slow path).
      const headBlocks = tf.reshape(tf.tile(tf.reshape(tf.eye(heads), [heads, heads, 1]), [1, 1, channels]), [heads, width]);
      const attention = tf.mul(tf.reshape(w.attention.read(), [1, width]), headBlocks);
      const scores = tf.transpose(
        tf.reshape(tf.matMul(tf.reshape(pairs, [nodes * nodes * batch, width]), attention, false, true), [nodes, nodes, batch, heads]),
        [2, 3, 0, 1],
      );
      const attends = tf.maximum(tf.sign(tf.abs(adjacency)), tf.eye(nodes));
      const masked = tf.add(scores, tf.expandDims(tf.mul(tf.sub(1, attends), NO_EDGE), 1));
      const alpha = tf.reshape(tf.softmax(masked), [batch * heads, nodes, nodes]);
      const sourcePerHead = tf.reshape(tf.transpose(tf.reshape(source, [batch, nodes, heads, channels]), [0, 2, 1, 3]), [batch * heads, nodes, channels]);
      const mixed = tf.reshape(tf.matMul(alpha, sourcePerHead), [batch, heads, nodes, channels]);
      const combined = this.concat ? tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [batch, nodes, width]) : tf.mean(mixed, 1);
      return applyActivation(tf.add(combined, w.bias.read()), this.activation);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, channels: this.channels, concat: this.concat, activation: this.activation, seed: this.seed };
  }
}
tf.serialization.registerClass(GatV2Conv, LayerPackage);
