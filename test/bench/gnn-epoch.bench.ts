import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GraphSamples } from '../../src/actors/analytics/graph-samples.ts';
import type { ModelBackendName } from '../../src/actors/ports/model-backend.ts';
import { createModelBackend } from '../../src/system/ml/index.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const SNAPSHOTS = 8_000;
const FEATURES = 8;
const BATCH = 64;
const NODE_COUNTS = [12, 50] as const;
const ARCHS = ['gcn', 'gatv2'] as const;
const BACKENDS = ['wasm', 'cpu'] as const satisfies readonly ModelBackendName[];

interface Case {
  readonly arch: (typeof ARCHS)[number];
  readonly nodes: number;
  readonly backend: ModelBackendName;
}

interface Measured {
  /** One warm epoch over all snapshots (training and a small validation pass). */
  readonly epochSeconds: number;
  /** CPU time (user + system) of the process during that epoch: steadier than wall time on a shared machine. */
  readonly epochCpuSeconds: number;
  readonly peakRssBytes: number;
}

/**
 * Epoch time of the GCN and GATv2 on WASM against pure-JS `cpu`, on the same data: 8,000 snapshots of
 * 12 and 50 nodes with 8 features, batches of 64, default sizes (16 hidden units, 4 heads). Each case
 * runs in a process of its own (tfjs has one backend per process; peak RSS is then the case's own):
 * a short warm-up fit, then one timed epoch.
 */
export async function benchGnnEpoch(): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const lines: BenchLine[] = [];
  const ratios: BenchRatio[] = [];
  for (const arch of ARCHS) {
    for (const nodes of NODE_COUNTS) {
      const measured = new Map<ModelBackendName, Measured>();
      for (const backend of BACKENDS) {
        const m = await measureInChild({ arch, nodes, backend });
        measured.set(backend, m);
        lines.push({ name: `${arch}, ${nodes} nodes, ${backend}: epoch of ${SNAPSHOTS.toLocaleString('en-US')} snapshots`, value: round(m.epochSeconds), unit: 's' });
        lines.push({ name: `${arch}, ${nodes} nodes, ${backend}: CPU time of that epoch`, value: round(m.epochCpuSeconds), unit: 's' });
        lines.push({ name: `${arch}, ${nodes} nodes, ${backend}: peak RSS`, value: Math.round(m.peakRssBytes / 2 ** 20), unit: 'MiB' });
      }
      const [cpu, wasm] = [measured.get('cpu'), measured.get('wasm')];
      const ratio = (cpu?.epochSeconds ?? NaN) / (wasm?.epochSeconds ?? NaN);
      const cpuRatio = (cpu?.epochCpuSeconds ?? NaN) / (wasm?.epochCpuSeconds ?? NaN);
      ratios.push({ name: `cpu / wasm epoch time (${arch}, ${nodes} nodes)`, value: ratio, target: '> 1 (WASM the faster default)', met: ratio > 1 });
      ratios.push({ name: `cpu / wasm epoch CPU time (${arch}, ${nodes} nodes)`, value: cpuRatio, target: '> 1', met: cpuRatio > 1 });
    }
  }
  return { lines, ratios };
}

async function measureInChild(c: Case): Promise<Measured> {
  const { stdout } = await promisify(execFile)(process.execPath, [import.meta.filename, JSON.stringify(c)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measured;
}

async function measureHere(c: Case): Promise<Measured> {
  const backend = await createModelBackend(c.backend);
  const train = randomSamples(SNAPSHOTS, c.nodes, 1);
  const val = randomSamples(BATCH, c.nodes, 2);
  const params = { arch: c.arch, hidden: 16, heads: 4, dropout: 0.1, learningRate: 0.01, epochs: 1, patience: 1, batchSize: BATCH, seed: 1 };
  const warm = await backend.fit(params, randomSamples(4 * BATCH, c.nodes, 3), val);
  warm.model.dispose();
  const cpuBefore = process.cpuUsage();
  const fit = await backend.fit(params, train, val);
  const cpu = process.cpuUsage(cpuBefore);
  fit.model.dispose();
  return {
    epochSeconds: fit.history[0]?.seconds ?? NaN,
    epochCpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** Standard normal features, a random correlation graph per snapshot (30% of pairs), random labels. */
function randomSamples(count: number, nodes: number, seed: number): GraphSamples {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
  const x = Float32Array.from({ length: count * nodes * FEATURES }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  const adjacency = new Float32Array(count * nodes * nodes);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < nodes; i++) {
      for (let j = i + 1; j < nodes; j++) {
        if (random() >= 0.3) continue;
        const rho = 2 * random() - 1;
        adjacency[(t * nodes + i) * nodes + j] = rho;
        adjacency[(t * nodes + j) * nodes + i] = rho;
      }
    }
  }
  const labels = Int32Array.from({ length: count * nodes }, () => Math.floor(random() * 3));
  const times = Float64Array.from({ length: count }, (_, t) => t * 3_600_000);
  return { count, nodes, features: FEATURES, x, adjacency, times, labels };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

if (process.argv[1] === import.meta.filename && process.argv[2] !== undefined) {
  console.log(JSON.stringify(await measureHere(JSON.parse(process.argv[2]) as Case)));
}
