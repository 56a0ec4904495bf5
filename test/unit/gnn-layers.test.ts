import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { GatV2Conv, GcnConv, GcnNormalization, createModelBackend } from '../../src/system/ml/index.ts';

before(async () => {
  await createModelBackend('wasm');
});

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs((actual[i] ?? NaN) - (expected[i] ?? NaN)) <= tolerance, `[${i}]: ${actual[i]} ≠ ${expected[i]}`);
  }
}

/** The 3-node snapshot of the worked example: ρ(0,1) = -0.5, node 2 alone. */
const adjacency3 = [0, -0.5, 0, -0.5, 0, 0, 0, 0, 0];

describe('GcnNormalization (PyG gcn_norm on a dense batch)', () => {
  it('gives D^-1/2 (|A| + I) D^-1/2, worked by hand', () => {
    // Â = [[1, .5, 0], [.5, 1, 0], [0, 0, 1]], degrees 1.5, 1.5, 1: Â_ij / √(d_i d_j).
    const out = tf.tidy(() => (new GcnNormalization().apply(tf.tensor3d(adjacency3, [1, 3, 3])) as tf.Tensor).dataSync());
    assertClose(out, [2 / 3, 1 / 3, 0, 1 / 3, 2 / 3, 0, 0, 0, 1]);
  });
});

describe('GcnConv', () => {
  it('propagates H W over the normalised graph and adds the bias, worked by hand', () => {
    // H = [1, 4, 2], W = [[3]], b = 0.5: HW = [3, 12, 6]; Â_norm HW = [2 + 4, 1 + 8, 6]; + b.
    const out = tf.tidy(() => {
      const normalized = new GcnNormalization().apply(tf.tensor3d(adjacency3, [1, 3, 3])) as tf.Tensor;
      const conv = new GcnConv({ units: 1, activation: 'relu', seed: 1 });
      conv.apply([tf.zeros([1, 3, 1]), normalized]);
      conv.setWeights([tf.tensor2d([[3]]), tf.tensor1d([0.5])]);
      return (conv.apply([tf.tensor3d([1, 4, 2], [1, 3, 1]), normalized]) as tf.Tensor).dataSync();
    });
    assertClose(out, [6.5, 9.5, 6.5]);
  });

  it('matches the PyG formula x_i = Σ_j |a_ij|/√(d_i d_j) x_j W + b on a weighted batch of two graphs', () => {
    const nodes = 4;
    const features = 2;
    const units = 3;
    // Snapshot 0: a path 0-1-2-3 with mixed signs; snapshot 1: a star around node 2, node 0 alone.
    const edges: Array<Array<[number, number, number]>> = [
      [[0, 1, 0.8], [1, 2, -0.4], [2, 3, 0.6]],
      [[2, 1, -0.9], [2, 3, 0.3]],
    ];
    const a = new Float32Array(2 * nodes * nodes);
    edges.forEach((list, t) => list.forEach(([i, j, w]) => { a[t * 16 + i * 4 + j] = w; a[t * 16 + j * 4 + i] = w; }));
    const h = Float32Array.from({ length: 2 * nodes * features }, (_, k) => ((k * 7) % 5) - 2 + k / 10);
    const kernel = [[0.5, -1, 0.25], [2, 0.1, -0.3]];
    const bias = [0.1, -0.2, 0.3];

    const expected: number[] = [];
    for (let t = 0; t < 2; t++) {
      const weight = (i: number, j: number) => (i === j ? 1 : Math.abs(a[t * 16 + i * 4 + j] ?? 0));
      const degree = (i: number) => [0, 1, 2, 3].reduce((d, j) => d + weight(i, j), 0);
      for (let i = 0; i < nodes; i++) {
        for (let u = 0; u < units; u++) {
          let value = bias[u] ?? 0;
          for (let j = 0; j < nodes; j++) {
            let xw = 0;
            for (let f = 0; f < features; f++) xw += (h[(t * nodes + j) * features + f] ?? 0) * (kernel[f]?.[u] ?? 0);
            value += (weight(i, j) / Math.sqrt(degree(i) * degree(j))) * xw;
          }
          expected.push(value);
        }
      }
    }
    const out = tf.tidy(() => {
      const normalized = new GcnNormalization().apply(tf.tensor3d(a, [2, nodes, nodes])) as tf.Tensor;
      const conv = new GcnConv({ units, activation: 'linear', seed: 1 });
      const x = tf.tensor3d(h, [2, nodes, features]);
      conv.apply([x, normalized]);
      conv.setWeights([tf.tensor2d(kernel), tf.tensor1d(bias)]);
      return (conv.apply([x, normalized]) as tf.Tensor).dataSync();
    });
    assertClose(out, expected);
  });
});

describe('GatV2Conv', () => {
  const nodes = 4;
  const features = 3;
  const heads = 2;
  const channels = 2;
  // Edges 0-1 and 1-2 (ρ of either sign); node 3 has none.
  const a = new Float32Array(nodes * nodes);
  for (const [i, j, w] of [[0, 1, -0.7], [1, 2, 0.4]] as const) { a[i * nodes + j] = w; a[j * nodes + i] = w; }
  const h = Float32Array.from({ length: nodes * features }, (_, k) => Math.sin(k + 1));

  function run(conv: GatV2Conv, x: Float32Array): Float32Array {
    return tf.tidy(() => (conv.apply([tf.tensor3d(x, [1, nodes, features]), tf.tensor3d(a, [1, nodes, nodes])]) as tf.Tensor).dataSync() as Float32Array);
  }

  it('matches e_ij = aᵀ LeakyReLU(W_t h_i + W_s h_j), α = softmax over neighbours and self, h_i = Σ α_ij W_s h_j + b', () => {
    const conv = new GatV2Conv({ heads, channels, concat: true, activation: 'linear', seed: 3 });
    run(conv, h);
    const bias = [0.05, -0.1, 0.2, 0.3];
    conv.setWeights([...conv.getWeights().slice(0, 3), tf.tensor1d(bias)]);
    const [ws, wt, att] = conv.getWeights().map((w) => Array.from(w.dataSync()));
    const project = (m: number[] | undefined, i: number, k: number) => {
      let v = 0;
      for (let f = 0; f < features; f++) v += (h[i * features + f] ?? 0) * (m?.[f * heads * channels + k] ?? 0);
      return v;
    };
    const expected: number[] = [];
    for (let i = 0; i < nodes; i++) {
      for (let head = 0; head < heads; head++) {
        const neighbours = [0, 1, 2, 3].filter((j) => j === i || a[i * nodes + j] !== 0);
        const scores = neighbours.map((j) => {
          let e = 0;
          for (let c = 0; c < channels; c++) {
            const k = head * channels + c;
            const z = project(wt, i, k) + project(ws, j, k);
            e += (att?.[k] ?? 0) * (z > 0 ? z : 0.2 * z);
          }
          return e;
        });
        const max = Math.max(...scores);
        const total = scores.reduce((s, e) => s + Math.exp(e - max), 0);
        for (let c = 0; c < channels; c++) {
          const k = head * channels + c;
          const mixed = neighbours.reduce((s, j, n) => s + (Math.exp((scores[n] ?? 0) - max) / total) * project(ws, j, k), 0);
          expected.push(mixed + (bias[k] ?? 0));
        }
      }
    }
    assertClose(run(conv, h), expected);
  });

  it('lets a node attend only to its neighbours and itself', () => {
    const conv = new GatV2Conv({ heads, channels, concat: false, activation: 'relu', seed: 5 });
    const before = run(conv, h);
    const moved = Float32Array.from(h);
    for (let f = 0; f < features; f++) moved[3 * features + f] = 10 + f; // node 3: nobody's neighbour
    const after = run(conv, moved);
    assertClose(after.subarray(0, 3 * channels), before.subarray(0, 3 * channels), 1e-6);
    assert.notDeepEqual(Array.from(after.subarray(3 * channels)), Array.from(before.subarray(3 * channels)));
    const movedNeighbour = Float32Array.from(h);
    movedNeighbour[2 * features] = 5; // node 2: a neighbour of node 1 only
    const afterNeighbour = run(conv, movedNeighbour);
    assertClose(afterNeighbour.subarray(0, channels), before.subarray(0, channels), 1e-6);
    assert.notDeepEqual(Array.from(afterNeighbour.subarray(channels, 2 * channels)), Array.from(before.subarray(channels, 2 * channels)));
  });
});
