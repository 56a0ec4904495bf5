import { GraphSnapshotBuilder, RollingCorrelation, alignCandles, pearsonMatrix } from '../../src/actors/analytics/index.ts';
import type { AlignedStep } from '../../src/actors/analytics/index.ts';
import { candleFromKline } from '../../src/protocol/index.ts';
import { syntheticMarketKlines } from '../../src/system/exchange-simulator/index.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);
const CANDLES = 9000;
const WINDOW = 168;
const RUNS = 3;

/**
 * Graph snapshots per second of the builder (features, rolling correlation, edges, the snapshot
 * message) over 9,000 hourly candles of a planted-clusters market, for 12 and 50 symbols; beside
 * it, the correlation alone, incremental against a two-pass recomputation of each window.
 */
export async function benchGraphBuilder(): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const lines: BenchLine[] = [];
  const ratios: BenchRatio[] = [];
  for (const n of [12, 50]) {
    const steps = marketSteps(n);
    const rate = best(() => builderRate(steps, n));
    lines.push({ name: `builder, ${n} symbols, window ${WINDOW} (snapshots incl. features, edges, message)`, value: Math.round(rate), unit: 'snapshots/s' });
    const returns = stepReturns(steps, n);
    const incremental = best(() => incrementalRate(returns, n));
    const naive = best(() => naiveRate(returns, n));
    lines.push({ name: `correlation only, ${n} symbols: incremental O(N²)/step`, value: Math.round(incremental), unit: 'matrices/s' });
    lines.push({ name: `correlation only, ${n} symbols: two-pass over the window each step`, value: Math.round(naive), unit: 'matrices/s' });
    ratios.push({ name: `incremental / two-pass correlation, ${n} symbols`, value: incremental / naive, target: '>= 5', met: incremental / naive >= 5 });
  }
  await Promise.resolve();
  return { lines, ratios };
}

function marketSteps(n: number): AlignedStep[] {
  const symbols = Array.from({ length: n }, (_, i) => `BENCH${i}USDT`);
  const rows = syntheticMarketKlines({ kind: 'planted-clusters', symbols, seed: 1000 + n, startMs: FROM - 10 * HOUR }, '1h', FROM, CANDLES);
  return alignCandles(rows.map((r, i) => r.map((k) => candleFromKline(k, symbols[i] ?? '', '1h'))));
}

function best(measure: () => number): number {
  let top = 0;
  for (let r = 0; r < RUNS; r++) top = Math.max(top, measure());
  return top;
}

function builderRate(steps: readonly AlignedStep[], n: number): number {
  const builder = new GraphSnapshotBuilder({ queueId: 'wf-bench', interval: '1h', symbols: Array.from({ length: n }, (_, i) => `S${i}`), window: WINDOW });
  let snapshots = 0;
  const started = performance.now();
  for (const step of steps) if (builder.push(step.time, step.candles) !== undefined) snapshots += 1;
  return snapshots / ((performance.now() - started) / 1000);
}

function stepReturns(steps: readonly AlignedStep[], n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let t = 1; t < steps.length; t++) {
    out.push(Float64Array.from({ length: n }, (_, i) => Math.log(Number(steps[t]?.candles[i]?.close) / Number(steps[t - 1]?.candles[i]?.close))));
  }
  return out;
}

function incrementalRate(returns: readonly Float64Array[], n: number): number {
  const rolling = new RollingCorrelation(n, WINDOW);
  const rho = new Float64Array(n * n);
  let matrices = 0;
  const started = performance.now();
  for (const r of returns) {
    rolling.push(r);
    if (rolling.full) {
      rolling.correlations(rho);
      matrices += 1;
    }
  }
  return matrices / ((performance.now() - started) / 1000);
}

function naiveRate(returns: readonly Float64Array[], n: number): number {
  const block = new Float64Array(WINDOW * n);
  let matrices = 0;
  const started = performance.now();
  for (let t = WINDOW; t <= returns.length && matrices < 2000; t++) {
    for (let k = 0; k < WINDOW; k++) block.set(returns[t - WINDOW + k] ?? [], k * n);
    pearsonMatrix(block, WINDOW, n);
    matrices += 1;
  }
  return matrices / ((performance.now() - started) / 1000);
}
