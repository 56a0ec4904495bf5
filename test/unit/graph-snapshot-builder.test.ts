import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphSnapshotBuilder, alignCandles, atr, candleSeries, ema, pearsonMatrix, rollingVolatility, rollingVwap, rsi, selectEdges } from '../../src/actors/analytics/index.ts';
import { GraphFeaturesMessage, GraphSnapshot } from '../../src/protocol/index.ts';
import type { Candle } from '../../src/protocol/index.ts';
import { randomCandles } from '../helpers/random-candles.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);
const SYMBOLS = ['AUSDT', 'BUSDT', 'CUSDT'];

function run(builder: GraphSnapshotBuilder, bySymbol: Candle[][]): GraphSnapshot[] {
  const out: GraphSnapshot[] = [];
  for (const step of alignCandles(bySymbol)) {
    const s = builder.push(step.time, step.candles);
    if (s !== undefined) out.push(s);
  }
  return out;
}

const small = (): GraphSnapshotBuilder =>
  new GraphSnapshotBuilder({ queueId: 'wf-test', interval: '1h', symbols: SYMBOLS, window: 30, edges: { kind: 'threshold', threshold: 0 } });

describe('GraphSnapshotBuilder', () => {
  const candles = SYMBOLS.map((_, i) => randomCandles(200, 40 + i));

  it('emits valid snapshots from step warmupSteps on, every feature defined', () => {
    const builder = small();
    assert.equal(builder.warmupSteps, 30, 'the window (30) is the longest lookback');
    const snapshots = run(builder, candles);
    assert.equal(snapshots.length, 200 - 30);
    assert.equal(snapshots[0]?.time, FROM + 30 * HOUR);
    assert.deepEqual(builder.features, ['log_return', 'vol_24', 'rsi_14', 'close_ema_20', 'atr_14_close', 'close_vwap_24', 'volume_z_30']);
    for (const s of snapshots) {
      GraphSnapshot.parse(s);
      assert.ok(GraphFeaturesMessage.safeParse(JSON.parse(JSON.stringify(s))).success);
      assert.ok(s.x.every((row) => row.every(Number.isFinite)), `features at ${s.time}`);
    }
  });

  it('computes each feature as its indicator does on the whole series', () => {
    const snapshots = run(small(), candles);
    const t = 150;
    const s = snapshots.find((x) => x.time === FROM + t * HOUR);
    assert.ok(s !== undefined);
    SYMBOLS.forEach((_, i) => {
      const series = candleSeries(candles[i] ?? []);
      const c = series.close[t] ?? 0;
      const v = Array.from(series.volume.slice(t - 29, t + 1));
      const mean = v.reduce((a, b) => a + b, 0) / 30;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / 29);
      const expected = [
        Math.log(c / (series.close[t - 1] ?? 1)),
        rollingVolatility(series.close, 24)[t] ?? 0,
        (rsi(series.close, 14)[t] ?? 0) / 100 - 0.5,
        c / (ema(series.close, 20)[t] ?? 0) - 1,
        (atr(series, 14)[t] ?? 0) / c,
        c / (rollingVwap(series, 24)[t] ?? 0) - 1,
        ((series.volume[t] ?? 0) - mean) / sd,
      ];
      expected.forEach((e, k) => assert.ok(Math.abs((s.x[i]?.[k] ?? Number.NaN) - e) < 1e-9 * Math.max(1, Math.abs(e)), `node ${i} feature ${k}: ${s.x[i]?.[k]} vs ${e}`));
      assert.equal(s.returns[i], s.x[i]?.[0]);
    });
    const returns = Float64Array.from({ length: 30 * 3 }, (_, k) => {
      const i = k % 3;
      const step = t - 29 + Math.floor(k / 3);
      const closes = candleSeries(candles[i] ?? []).close;
      return Math.log((closes[step] ?? 1) / (closes[step - 1] ?? 1));
    });
    assert.deepEqual(
      s.edges.map((e) => [e.source, e.target]),
      selectEdges(pearsonMatrix(returns, 30, 3), 3, { kind: 'threshold', threshold: 0 }).map((e) => [e.source, e.target]),
    );
    s.edges.forEach((e) => assert.ok(Math.abs(e.weight - (pearsonMatrix(returns, 30, 3)[e.source * 3 + e.target] ?? 0)) < 1e-12));
  });

  it('has no look-ahead: changing candles after t changes no snapshot at or before t', () => {
    const before = run(small(), candles);
    const t = FROM + 120 * HOUR;
    const changed = candles.map((list, s) => list.map((c) => (c.open_time > t ? { ...c, close: String(50 + s), high: '999', low: '1', volume: '5' } : c)));
    const after = run(small(), changed);
    assert.deepEqual(after.filter((x) => x.time <= t), before.filter((x) => x.time <= t));
    assert.notDeepEqual(after.find((x) => x.time === t + HOUR), before.find((x) => x.time === t + HOUR));
  });

  it('carries the previous close over a missing candle and flags the node', () => {
    const hole = FROM + 100 * HOUR;
    const holed = candles.map((list, s) => (s === 1 ? list.filter((c) => c.open_time !== hole) : list));
    const snapshots = run(small(), holed);
    const at = snapshots.find((x) => x.time === hole);
    const next = snapshots.find((x) => x.time === hole + HOUR);
    assert.deepEqual(at?.filled, [1]);
    assert.equal(at?.returns[1], 0);
    assert.equal(at?.x[1]?.[0], 0);
    assert.deepEqual(next?.filled, []);
    const closes = candleSeries(candles[1] ?? []).close;
    assert.ok(Math.abs((next?.returns[1] ?? 0) - Math.log((closes[101] ?? 0) / (closes[99] ?? 1))) < 1e-15, 'the next return spans the hole');
    assert.equal(snapshots.length, 170, 'a hole is still a step');
  });

  it('skips steps no symbol has, and waits until every symbol has had a candle', () => {
    const late = candles.map((list, s) => (s === 2 ? list.slice(10) : list));
    const gap = late.map((list) => list.filter((c) => c.open_time !== FROM + 30 * HOUR));
    const builder = small();
    const snapshots = run(builder, gap);
    // Steps: 10 h … 29 h, then 31 h on (30 h: no symbol has a candle); the 31st step opens at 41 h.
    assert.equal(snapshots[0]?.time, FROM + 41 * HOUR, 'warm-up counts from the first complete step, skipping the empty one');
    assert.equal(snapshots.length, 200 - 41);
  });

  it('refuses steps out of order and malformed steps', () => {
    const builder = small();
    builder.push(FROM, candles.map((l) => l[0]));
    assert.throws(() => builder.push(FROM, candles.map((l) => l[1])), /increasing time/);
    assert.throws(() => builder.push(FROM + HOUR, [candles[0]?.[1]]), /expected 3 candles/);
    assert.throws(() => new GraphSnapshotBuilder({ queueId: 'q', interval: '1h', symbols: ['A'] }), /at least 2 symbols/);
    assert.throws(() => new GraphSnapshotBuilder({ queueId: 'q', interval: '1h', symbols: ['A', 'A'] }), /distinct/);
  });

  it('applies a top-k rule: every node has at least k edges', () => {
    const many = Array.from({ length: 8 }, (_, i) => randomCandles(120, 70 + i));
    const builder = new GraphSnapshotBuilder({ queueId: 'q', interval: '1h', symbols: many.map((_, i) => `S${i}`), window: 48, edges: { kind: 'top-k', k: 2 } });
    for (const s of run(builder, many)) {
      const degree = new Array<number>(8).fill(0);
      for (const e of s.edges) {
        degree[e.source] = (degree[e.source] ?? 0) + 1;
        degree[e.target] = (degree[e.target] ?? 0) + 1;
      }
      assert.ok(degree.every((d) => d >= 2), `degrees ${degree.join(',')}`);
    }
  });
});
