import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RollingCorrelation, correlationGraph, pearsonMatrix, selectEdges } from '../../src/actors/analytics/index.ts';
import { GraphBody, candleFromKline } from '../../src/protocol/index.ts';
import type { Candle } from '../../src/protocol/index.ts';
import { syntheticMarketKlines } from '../../src/system/exchange-simulator/index.ts';
import { randomCandles } from '../helpers/random-candles.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);

function marketCandles(kind: 'planted-clusters' | 'random-walks', symbols: string[], seed: number, count: number): Candle[][] {
  const rows = syntheticMarketKlines({ kind, symbols, seed, startMs: FROM - 1000 * HOUR }, '1h', FROM, count);
  return rows.map((r, i) => r.map((k) => candleFromKline(k, symbols[i] ?? '', '1h')));
}

describe('RollingCorrelation', () => {
  it('matches the two-pass Pearson matrix of the window at every step of a long stream', () => {
    const n = 5;
    const window = 40;
    const rolling = new RollingCorrelation(n, window);
    const history: number[][] = [];
    let worst = 0;
    for (let t = 0; t < 12_000; t++) {
      // Offsets far from zero, a common factor, and series 4 nearly constant for a while.
      const common = Math.sin(t * 0.7) + Math.cos(t * 1.3);
      const row = [0, 1, 2, 3, 4].map((i) => 1000 * i + common * (i % 2 === 0 ? 1 : -0.5) + Math.sin(t * (i + 2.1)) * (i === 4 && t > 6000 && t < 6100 ? 1e-9 : 1));
      history.push(row);
      rolling.push(row);
      if (t >= window - 1 && t % 37 === 0) {
        const expected = pearsonMatrix(Float64Array.from(history.slice(-window).flat()), window, n);
        const actual = rolling.correlations();
        expected.forEach((e, k) => {
          worst = Math.max(worst, Math.abs((actual[k] ?? 0) - e));
        });
      }
    }
    assert.ok(worst < 1e-9, `worst absolute difference ${worst}`);
  });

  it('says NaN for a constant series and before the window is full', () => {
    const rolling = new RollingCorrelation(3, 4);
    rolling.push([1, 5, 2]);
    assert.ok(rolling.correlations().every(Number.isNaN));
    for (const r of [[2, 5, 4], [3, 5, 6], [5, 5, 10], [4, 5, 8]]) rolling.push(r);
    const rho = rolling.correlations();
    assert.ok(Number.isNaN(rho[1]) && Number.isNaN(rho[3]) && Number.isNaN(rho[4]), 'series 1 is constant');
    assert.ok(Math.abs((rho[2] ?? 0) - 1) < 1e-12, `series 0 and 2 move together (${rho[2]})`);
  });
});

describe('selectEdges', () => {
  // ρ of four nodes: 0–1 strong, 2–3 medium, 0–3 weak negative, 1–2 nothing, 0–2 small.
  const rho = Float64Array.from([1, 0.9, 0.1, -0.35, 0.9, 1, 0, 0.05, 0.1, 0, 1, 0.5, -0.35, 0.05, 0.5, 1]);

  it('threshold: |ρ| ≥ threshold, negative ρ included, source < target', () => {
    assert.deepEqual(selectEdges(rho, 4, { kind: 'threshold', threshold: 0.3 }), [
      { source: 0, target: 1, weight: 0.9 },
      { source: 0, target: 3, weight: -0.35 },
      { source: 2, target: 3, weight: 0.5 },
    ]);
    assert.deepEqual(selectEdges(rho, 4, { kind: 'threshold', threshold: 0.5 }).length, 2, 'the threshold itself is included');
  });

  it('top-k: every node keeps its k strongest partners, symmetric by union', () => {
    // k = 1: 0 picks 1, 1 picks 0, 2 picks 3, 3 picks 2.
    assert.deepEqual(selectEdges(rho, 4, { kind: 'top-k', k: 1 }), [
      { source: 0, target: 1, weight: 0.9 },
      { source: 2, target: 3, weight: 0.5 },
    ]);
    // k = 2: 0 picks 1, 3; 1 picks 0, 3 (0.05 > 0); 2 picks 3, 0; 3 picks 2, 0.
    const edges = selectEdges(rho, 4, { kind: 'top-k', k: 2 }).map((e) => `${e.source}-${e.target}`);
    assert.deepEqual(edges, ['0-1', '0-2', '0-3', '1-3', '2-3']);
  });

  it('never joins a node whose ρ is undefined', () => {
    const withConstant = Float64Array.from([1, 0.8, Number.NaN, 0.8, 1, Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    assert.deepEqual(selectEdges(withConstant, 3, { kind: 'threshold', threshold: 0 }), [{ source: 0, target: 1, weight: 0.8 }]);
    assert.deepEqual(selectEdges(withConstant, 3, { kind: 'top-k', k: 2 }), [{ source: 0, target: 1, weight: 0.8 }]);
  });
});

describe('correlationGraph', () => {
  const symbols = Array.from({ length: 12 }, (_, i) => `PC${String.fromCharCode(65 + i)}USDT`);
  const planted = marketCandles('planted-clusters', symbols, 21, 700);
  const cluster = (symbol: string): number => symbols.indexOf(symbol) % 3;

  it('finds the planted clusters: every pair inside a cluster, none across (known answer)', () => {
    for (const at of [FROM + 300 * HOUR, FROM + 699 * HOUR]) {
      const graph = GraphBody.parse(
        correlationGraph({ symbols, interval: '1h', fromMs: FROM, toMs: FROM + 700 * HOUR, window: 168, atMs: at, candles: planted }),
      );
      const pairs = graph.edges.map((e) => [e.source, e.target].sort().join('~')).sort();
      const expected = symbols.flatMap((a, i) => symbols.slice(i + 1).filter((b) => cluster(a) === cluster(b)).map((b) => [a, b].sort().join('~'))).sort();
      assert.equal(expected.length, 18, '3 clusters of 4: 6 pairs each');
      assert.deepEqual(pairs, expected, `edges of the graph at ${new Date(at).toISOString()}`);
      assert.ok(graph.edges.every((e) => e.weight > 0.3 && e.weight < 0.85), 'weights are the inside-cluster ρ ≈ 0.55');
      assert.equal(graph.at_ms, at);
      assert.equal(graph.at, new Date(at).toISOString());
    }
  });

  it('gives a sparse graph on independent random walks', () => {
    const walks = marketCandles('random-walks', symbols, 22, 700);
    const graph = correlationGraph({ symbols, interval: '1h', fromMs: FROM, toMs: FROM + 700 * HOUR, window: 168, atMs: FROM + 699 * HOUR, candles: walks });
    assert.ok(graph.edges.length <= 1, `${graph.edges.length} edges among 66 independent pairs`);
    assert.ok(graph.edges.every((e) => Math.abs(e.weight) < 0.4));
  });

  it('ends the window at the last step at or before `at`, and reads nothing after it', () => {
    const candles = [randomCandles(300, 1), randomCandles(300, 2)];
    const req = { symbols: ['A', 'B'], interval: '1h' as const, fromMs: FROM, toMs: FROM + 300 * HOUR, window: 50, rule: { kind: 'threshold' as const, threshold: 0 } };
    const at = FROM + 200 * HOUR + 1234;
    const graph = correlationGraph({ ...req, atMs: at, candles });
    assert.equal(graph.at_ms, FROM + 200 * HOUR);
    const changed = candles.map((list) => list.map((c, i) => (i > 200 ? { ...c, close: '1.00000000' } : c)));
    assert.deepEqual(correlationGraph({ ...req, atMs: at, candles: changed }), graph);
    const closes = candles.map((list) => list.slice(150, 201).map((c) => Number(c.close)));
    const returns = Float64Array.from({ length: 100 }, (_, k) => {
      const s = k % 2;
      const t = Math.floor(k / 2) + 1;
      return Math.log((closes[s]?.[t] ?? 1) / (closes[s]?.[t - 1] ?? 1));
    });
    const rho = pearsonMatrix(returns, 50, 2)[1] ?? Number.NaN;
    assert.ok(Math.abs((graph.edges[0]?.weight ?? Number.NaN) - rho) < 1e-12, `ρ of the last 50 returns (${rho})`);
  });

  it('carries the previous close over a missing candle (zero return)', () => {
    const a = randomCandles(120, 5);
    const full = randomCandles(120, 6);
    const before = full[99] as Candle;
    const flat: Candle = { ...(full[100] as Candle), open: before.close, high: before.close, low: before.close, close: before.close, volume: '0' };
    const req = { symbols: ['A', 'B'], interval: '1h' as const, fromMs: FROM, toMs: FROM + 120 * HOUR, window: 30, atMs: FROM + 119 * HOUR };
    const withHole = correlationGraph({ ...req, rule: { kind: 'threshold', threshold: 0 }, candles: [a, full.filter((_, i) => i !== 100)] });
    const repaired = correlationGraph({ ...req, rule: { kind: 'threshold', threshold: 0 }, candles: [a, full.map((c, i) => (i === 100 ? flat : c))] });
    const untouched = correlationGraph({ ...req, rule: { kind: 'threshold', threshold: 0 }, candles: [a, full] });
    assert.notDeepEqual(withHole.edges, untouched.edges, 'the hole matters');
    assert.deepEqual(withHole.edges, repaired.edges, 'a hole reads as a flat candle at the previous close');
    assert.equal(withHole.at_ms, FROM + 119 * HOUR);
  });

  it('says how many candles a window needs when the range is too short', () => {
    const candles = [randomCandles(100, 1), randomCandles(100, 2)];
    assert.throws(
      () => correlationGraph({ symbols: ['A', 'B'], interval: '1h', fromMs: FROM, toMs: FROM + 100 * HOUR, window: 168, atMs: FROM + 99 * HOUR, candles }),
      (err: Error) => /a window of 168 log returns needs 169 candles of every symbol up to .*; the range .* holds 99 returns there/.test(err.message),
    );
  });
});
