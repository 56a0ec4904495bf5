import * as tf from '@tensorflow/tfjs';
import type { GraphInputs, GraphSamples } from '../../actors/analytics/graph-samples.ts';
import { LabelClasses } from '../../actors/analytics/graph-samples.ts';

/**
 * The model inputs of some snapshots, in the order given: `[x: [b, N, F], adjacency: [b, N, N]]`, or
 * `[x]` alone for a model with one input (the graph-free baselines never see the adjacency).
 */
export function batchInputs(samples: GraphInputs, snapshots: ArrayLike<number>, model: tf.LayersModel): tf.Tensor3D[] {
  const { nodes, features } = samples;
  const size = snapshots.length;
  const x = tf.tensor3d(gatherRows(samples.x, snapshots, nodes * features), [size, nodes, features]);
  if (model.inputs.length === 1) return [x];
  return [x, tf.tensor3d(gatherRows(samples.adjacency, snapshots, nodes * nodes), [size, nodes, nodes])];
}

/** One-hot labels of some snapshots as `[b × N, classes]` (the row order of the logits reshaped to 2-D). */
export function batchOneHotLabels(samples: GraphSamples, snapshots: ArrayLike<number>): tf.Tensor2D {
  const { nodes } = samples;
  const classes = LabelClasses.length;
  const oneHot = new Float32Array(snapshots.length * nodes * classes);
  for (let b = 0; b < snapshots.length; b++) {
    const from = (snapshots[b] as number) * nodes;
    for (let i = 0; i < nodes; i++) oneHot[(b * nodes + i) * classes + (samples.labels[from + i] as number)] = 1;
  }
  return tf.tensor2d(oneHot, [snapshots.length * nodes, classes]);
}

/** Snapshot indices `from … to-1` of an order (a view, no copy). */
export function batchOf(order: Int32Array, from: number, to: number): Int32Array {
  return order.subarray(from, Math.min(to, order.length));
}

function gatherRows(values: Float32Array, rows: ArrayLike<number>, width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let b = 0; b < rows.length; b++) {
    const row = rows[b] as number;
    out.set(values.subarray(row * width, (row + 1) * width), b * width);
  }
  return out;
}
