import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_NODE_FEATURE_PERIODS,
  FeatureScaler,
  GraphSnapshotBuilder,
  alignCandles,
  earliestPrediction,
  graphInputs,
  nodeFeatureNames,
  nodeFeaturePeriodsOf,
  predictAt,
  predictionBody,
  predictionWarmup,
} from '../../src/actors/analytics/index.ts';
import type { PredictionModel } from '../../src/actors/analytics/index.ts';
import { PredictionBody, ValidationError } from '../../src/protocol/index.ts';
import type { Candle, GraphSnapshot } from '../../src/protocol/index.ts';
import { randomCandles } from '../helpers/random-candles.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);
const SYMBOLS = ['AUSDT', 'BUSDT', 'CUSDT'];
const WINDOW = 30;

const market = (): Candle[][] => SYMBOLS.map((symbol, i) => randomCandles(500, 70 + i).map((c) => ({ ...c, symbol })));

function continuousSnapshots(candles: Candle[][]): GraphSnapshot[] {
  const builder = new GraphSnapshotBuilder({ queueId: 'wf-train', interval: '1h', symbols: SYMBOLS, window: WINDOW, edges: { kind: 'threshold', threshold: 0.1 } });
  const out: GraphSnapshot[] = [];
  for (const step of alignCandles(candles)) {
    const s = builder.push(step.time, step.candles);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** A model as the trainer would store it: the builder's features, a scaler fitted on the first snapshots. */
function modelOf(snapshots: readonly GraphSnapshot[]): PredictionModel {
  const first = snapshots[0] ?? assert.fail('no snapshot');
  const rows = snapshots.slice(0, 200).flatMap((s) => s.x.flat());
  const scaler = FeatureScaler.fit(first.features, rows, rows.length / first.features.length);
  return {
    id: 'm-test',
    symbols: SYMBOLS,
    interval: '1h',
    window: WINDOW,
    edges: { kind: 'threshold', threshold: 0.1 },
    features: first.features,
    scaler: scaler.toState(),
    data: { from: new Date(FROM).toISOString(), to: new Date(FROM + 500 * HOUR).toISOString(), from_ms: FROM, to_ms: FROM + 500 * HOUR },
  };
}

/** Candles with their prices and volume changed wildly. */
const perturbed = (c: Candle): Candle => ({ ...c, high: String(Number(c.high) * 3), low: String(Number(c.low) / 3), close: String(Number(c.close) * 2), volume: '123456' });

describe('predictAt', () => {
  const candles = market();
  const snapshots = continuousSnapshots(candles);
  const model = modelOf(snapshots);

  it('reads nothing after at: changing every candle not closed by at (the one still open included) changes nothing', () => {
    const at = FROM + 400 * HOUR + 30 * 60_000;
    const before = predictAt(model, candles, at);
    assert.equal(before.lastCandleMs, FROM + 399 * HOUR, 'the last candle closed by at');
    const future = candles.map((list) => list.map((c) => (c.close_time >= at ? perturbed(c) : c)));
    assert.ok(future.some((list, i) => list.some((c, k) => c !== candles[i]?.[k])), 'some candles were changed');
    const after = predictAt(model, future, at);
    assert.deepEqual(after, before);
    // The control: a change to the last closed candle does show.
    const past = candles.map((list) => list.map((c) => (c.open_time === FROM + 399 * HOUR ? perturbed(c) : c)));
    assert.notDeepEqual(predictAt(model, past, at).inputs.x, before.inputs.x);
  });

  it('a candle closing exactly at at is read; at one millisecond earlier it is not', () => {
    const at = FROM + 400 * HOUR;
    assert.equal(predictAt(model, candles, at).lastCandleMs, FROM + 399 * HOUR);
    assert.equal(predictAt(model, candles, at - 1).lastCandleMs, FROM + 398 * HOUR);
  });

  it('from the warm-up alone gives the snapshot a continuous run (the trainer) made, normalised with the stored scaler', () => {
    const { lookback, steps } = predictionWarmup(model);
    assert.equal(steps, WINDOW + 1);
    const t = 450;
    const at = FROM + (t + 1) * HOUR;
    const tail = candles.map((list) => list.slice(t + 1 - lookback, t + 1));
    const got = predictAt(model, tail, at);
    const trained = snapshots.find((s) => s.time === FROM + t * HOUR) ?? assert.fail('snapshot');
    const expected = graphInputs([trained], FeatureScaler.fromState(model.scaler));
    assert.equal(got.inputs.count, 1);
    assert.deepEqual(Array.from(got.inputs.times), [FROM + t * HOUR]);
    const worst = (a: Float32Array, b: Float32Array) => a.reduce((m, v, k) => Math.max(m, Math.abs(v - (b[k] ?? Number.NaN))), 0);
    assert.ok(worst(got.inputs.x, expected.x) < 1e-5, `features: ${worst(got.inputs.x, expected.x)}`);
    assert.ok(worst(got.inputs.adjacency, expected.adjacency) < 1e-6, `edges: ${worst(got.inputs.adjacency, expected.adjacency)}`);
  });

  it('refuses an at before the model can predict, naming the earliest accepted', () => {
    const earliest = earliestPrediction(model);
    assert.equal(earliest, FROM + (WINDOW + 1) * HOUR);
    assert.throws(
      () => predictAt(model, candles, earliest - 1),
      (e: unknown) => e instanceof ValidationError && e.message.includes(`accepted: at or after ${new Date(earliest).toISOString()}`),
    );
    assert.equal(predictAt(model, candles, earliest).lastCandleMs, FROM + WINDOW * HOUR);
  });

  it('refuses too few candles before at, and a store that stops short of at', () => {
    const at = FROM + 300 * HOUR;
    const short = candles.map((list) => list.slice(280, 300));
    assert.throws(() => predictAt(model, short, at), /not enough stored 1h candles closed by 2024-01-13T12:00:00.000Z: model m-test needs 31 steps .* 20 found/);
    assert.throws(() => predictAt(model, candles, FROM + 502 * HOUR), /no stored 1h candle of AUSDT,BUSDT,CUSDT closes within one candle before .*: the last closes at 2024-01-21T20:00:00.000Z/);
    assert.doesNotThrow(() => predictAt(model, candles, FROM + 501 * HOUR - 1));
  });
});

describe('nodeFeaturePeriodsOf', () => {
  it('reads the periods back from the feature names the graph-builder writes', () => {
    const custom = { volatility: 12, rsi: 7, ema: 50, atr: 21, vwap: 6, volume: 48 };
    assert.deepEqual(nodeFeaturePeriodsOf(nodeFeatureNames(custom)), custom);
    assert.deepEqual(nodeFeaturePeriodsOf(nodeFeatureNames(DEFAULT_NODE_FEATURE_PERIODS)), DEFAULT_NODE_FEATURE_PERIODS);
  });

  it('refuses features it cannot rebuild', () => {
    for (const features of [['log_return'], ['log_return', 'vol_24', 'rsi_14', 'close_ema_20', 'atr_14_close', 'close_vwap_24', 'volume_x_168'], ['log_return', 'vol_0', 'rsi_14', 'close_ema_20', 'atr_14_close', 'close_vwap_24', 'volume_z_168']]) {
      assert.throws(() => nodeFeaturePeriodsOf(features), (e: unknown) => e instanceof ValidationError && /not the graph-builder's node features/.test(e.message), features.join(','));
    }
  });
});

describe('predictionBody', () => {
  it('names each symbol\'s most probable class, ties to the first listed, with the times as ISO and ms', () => {
    const model = { id: 'm-1', symbols: ['AUSDT', 'BUSDT', 'CUSDT'], interval: '1h' as const, horizon: 3 };
    const probabilities = Float32Array.from([0.2, 0.5, 0.3, 0.6, 0.1, 0.3, 0.4, 0.2, 0.4]);
    const body = predictionBody(model, FROM + 3 * HOUR, FROM + 2 * HOUR, probabilities);
    PredictionBody.parse(body);
    assert.deepEqual(body.predictions.map((p) => p.class), ['DOWN', 'UP', 'UP']);
    assert.deepEqual(body.predictions[0]?.probabilities, { UP: probabilities[0], DOWN: probabilities[1], FLAT: probabilities[2] });
    assert.equal(body.at, '2024-01-01T03:00:00.000Z');
    assert.equal(body.last_candle_ms, FROM + 2 * HOUR);
    assert.throws(() => predictionBody(model, 0, 0, new Float32Array(6)), /6 probabilities for 3 symbols × 3 classes/);
  });
});
