import { GraphSnapshotBuilder, alignCandles } from '../../src/actors/analytics/index.ts';
import { candleFromKline } from '../../src/protocol/index.ts';
import type { GraphSnapshot } from '../../src/protocol/index.ts';
import { syntheticMarketKlines } from '../../src/system/exchange-simulator/index.ts';

const HOUR = 3_600_000;

export interface SyntheticSnapshotsSpec {
  readonly kind: 'planted-clusters' | 'random-walks';
  readonly symbols: readonly string[];
  readonly seed: number;
  /** Hourly candles per symbol. */
  readonly candles: number;
  /** Planted clusters only: how many. @defaultValue 3 */
  readonly clusters?: number;
  /** @defaultValue 2024-01-01 */
  readonly fromMs?: number;
}

/** `n` symbol names of a synthetic market, distinct from any real pair: `<PREFIX>A USDT`, `<PREFIX>BUSDT`, … */
export function syntheticSymbols(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String.fromCharCode(65 + i)}USDT`);
}

/**
 * Graph snapshots of a synthetic market through the real path (the simulator's klines as the
 * exchange serves them → candles → aligned steps → the graph-builder's snapshots).
 */
export function syntheticSnapshots(spec: SyntheticSnapshotsSpec): GraphSnapshot[] {
  const from = spec.fromMs ?? Date.UTC(2024, 0, 1);
  const symbols = [...spec.symbols];
  const startMs = from - 100 * HOUR;
  const market =
    spec.kind === 'planted-clusters'
      ? { kind: spec.kind, symbols, seed: spec.seed, startMs, ...(spec.clusters !== undefined ? { clusters: spec.clusters } : {}) }
      : { kind: spec.kind, symbols, seed: spec.seed, startMs };
  const rows = syntheticMarketKlines(market, '1h', from, spec.candles);
  const candles = rows.map((r, i) => r.map((k) => candleFromKline(k, symbols[i] ?? '', '1h')));
  const builder = new GraphSnapshotBuilder({ queueId: 'wf-synthetic', interval: '1h', symbols });
  const out: GraphSnapshot[] = [];
  for (const step of alignCandles(candles)) {
    const s = builder.push(step.time, step.candles);
    if (s !== undefined) out.push(s);
  }
  return out;
}
