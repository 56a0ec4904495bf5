import type { GraphSamples } from '../../src/actors/analytics/graph-samples.ts';

/** What decides a node's label in {@link syntheticGraphSamples}. */
export type LabelSource = 'neighbours' | 'self';

export interface SyntheticGraphOptions {
  readonly count: number;
  readonly nodes: number;
  readonly features: number;
  readonly seed: number;
  readonly labelsFrom: LabelSource;
  /** Share of labels replaced by a random class. @defaultValue 0.1 */
  readonly noise?: number;
}

/** A standard normal's tertiles: labels split about evenly into UP, DOWN and FLAT. */
const TERTILE = 0.4307;

/**
 * Graph snapshots made for a known answer. Features are independent N(0, 1); each snapshot has its
 * own random graph (each pair linked with probability 0.3, |ρ| in [0.3, 0.9] with a random sign, every
 * node with at least one neighbour). The label of a node comes from feature 0 of its neighbours
 * (their sum weighted by |ρ|, scaled to a standard normal: its own features say nothing about it) or from its own
 * feature 0, cut at the tertiles: UP (0) above, DOWN (1) below, FLAT (2) between; `noise` of them
 * replaced by a random class.
 */
export function syntheticGraphSamples(options: SyntheticGraphOptions): GraphSamples {
  const { count, nodes, features, labelsFrom } = options;
  const noise = options.noise ?? 0.1;
  const random = mulberry32(options.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const x = new Float32Array(count * nodes * features);
  const adjacency = new Float32Array(count * nodes * nodes);
  const labels = new Int32Array(count * nodes);
  for (let i = 0; i < x.length; i++) x[i] = normal();
  for (let t = 0; t < count; t++) {
    const a = (i: number, j: number) => t * nodes * nodes + i * nodes + j;
    const link = (i: number, j: number) => {
      const weight = (0.3 + 0.6 * random()) * (random() < 0.5 ? -1 : 1);
      adjacency[a(i, j)] = weight;
      adjacency[a(j, i)] = weight;
    };
    for (let i = 0; i < nodes; i++) for (let j = i + 1; j < nodes; j++) if (random() < 0.3) link(i, j);
    for (let i = 0; i < nodes; i++) {
      let degree = 0;
      for (let j = 0; j < nodes; j++) if (adjacency[a(i, j)] !== 0) degree++;
      if (degree === 0) link(i, (i + 1) % nodes);
    }
    for (let i = 0; i < nodes; i++) {
      let signal = 0;
      if (labelsFrom === 'self') signal = x[(t * nodes + i) * features] ?? 0;
      else {
        let sum = 0;
        let squares = 0;
        for (let j = 0; j < nodes; j++) {
          const weight = Math.abs(adjacency[a(i, j)] ?? 0);
          sum += weight * (x[(t * nodes + j) * features] ?? 0);
          squares += weight * weight;
        }
        signal = sum / Math.sqrt(squares);
      }
      const label = signal > TERTILE ? 0 : signal < -TERTILE ? 1 : 2;
      labels[t * nodes + i] = random() < noise ? Math.floor(random() * 3) : label;
    }
  }
  const times = Float64Array.from({ length: count }, (_, t) => Date.UTC(2024, 0, 1) + t * 3_600_000);
  return { count, nodes, features, x, adjacency, times, labels };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
