import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveSeriesFor } from '../../src/actors/live/live-series-for.ts';
import type { KeyedRecord } from '../../src/actors/live/live-series.ts';
import { RecordSequence } from '../../src/actors/live/record-sequence.ts';

const aggs = liveSeriesFor('ws_aggtrades', 'BTCUSDT');
const candles = liveSeriesFor('ws_candles_1m', 'BTCUSDT');
const range = { fromMs: 10_000, toMs: 20_000 };

function aggEvent(a: number, time: number): KeyedRecord {
  const event = aggs.fromEvent({ e: 'aggTrade', E: time + 3, s: 'BTCUSDT', a, p: '1.0', q: '2.0', f: a * 2, l: a * 2 + 1, T: time, m: false, M: true });
  assert.equal(event.kind, 'record');
  return event.record;
}

function kline(openMs: number, closed: boolean): unknown {
  const k = { t: openMs, T: openMs + 59_999, s: 'BTCUSDT', i: '1m', f: 1, L: 2, o: '1', c: '2', h: '3', l: '0.5', v: '10', n: 2, x: closed, q: '15', V: '5', Q: '7', B: '0' };
  return { e: 'kline', E: openMs + 60_000, s: 'BTCUSDT', k };
}

describe('record sequence', () => {
  it('hands on live events in key order, each once, and stops at a gap', () => {
    const seq = new RecordSequence(aggs, range, 99);
    for (const [a, t] of [[99, 11_000], [100, 11_000], [101, 11_001], [101, 11_001], [102, 12_000], [105, 13_000], [106, 13_001]] as const) seq.hold(aggEvent(a, t));
    const handed: number[] = [];
    seq.drain(100, (r) => handed.push(r.key));
    assert.deepEqual(handed, [100, 101, 102]);
    assert.equal(seq.lastKey, 102);
    assert.equal(seq.next()?.key, 105);
    assert.ok(seq.gapAhead());
    // A REST page fills 103..104, then the held events follow on.
    for (const a of [103, 104]) assert.ok(seq.accept(aggEvent(a, 12_500)));
    assert.ok(!seq.gapAhead());
    seq.drain(100, (r) => handed.push(r.key));
    assert.deepEqual(handed, [100, 101, 102, 105, 106]);
    assert.equal(seq.held, 0);
  });

  it('passes over records outside the range, and is complete once one at or past the end follows', () => {
    const seq = new RecordSequence(aggs, range, 1);
    for (const [a, t] of [[2, 9_999], [3, 10_000], [4, 19_999], [5, 20_000], [6, 20_001]] as const) seq.hold(aggEvent(a, t));
    const handed: number[] = [];
    seq.drain(100, (r) => handed.push(r.key));
    assert.deepEqual(handed, [3, 4]);
    assert.ok(seq.complete);
    assert.equal(seq.lastKey, 6);
  });

  it('starts from live data that began before the range', () => {
    const seq = new RecordSequence(aggs, range, null);
    assert.ok(!seq.startFromLive());
    seq.hold(aggEvent(50, 9_000));
    assert.ok(seq.startFromLive());
    assert.equal(seq.lastKey, 49);
  });

  it('keeps only closed candles; one a whole interval after the last is a gap; the last in range completes it', () => {
    assert.deepEqual(candles.fromEvent(kline(60_000, false)), { kind: 'skip' });
    assert.deepEqual(liveSeriesFor('ws_candles_5m', 'BTCUSDT').fromEvent(kline(60_000, true)), { kind: 'skip' }, 'another interval');
    // A schema failure is no skip: the loader counts and logs it.
    for (const [series, data] of [[candles, { e: 'kline', E: 1, s: 'BTCUSDT', k: { t: 'x' } }], [aggs, { e: 'aggTrade', a: 1 }], [liveSeriesFor('ws_trades', 'BTCUSDT'), null]] as const) {
      assert.equal(series.fromEvent(data).kind, 'invalid');
    }
    const seq = new RecordSequence(candles, { fromMs: 60_000, toMs: 300_000 }, 59_999);
    for (const open of [60_000, 120_000, 240_000]) {
      const r = candles.fromEvent(kline(open, true));
      assert.equal(r.kind, 'record');
      seq.hold(r.record);
    }
    const handed: number[] = [];
    seq.drain(100, (r) => handed.push(r.key));
    assert.deepEqual(handed, [60_000, 120_000]);
    assert.ok(seq.gapAhead(), '180000 is missing');
    seq.coveredTo(239_999);
    seq.drain(100, (r) => handed.push(r.key));
    assert.deepEqual(handed, [60_000, 120_000, 240_000]);
    assert.ok(seq.complete, 'the candle of 240000 closes at the end of the range');
  });

  it('refuses events past its bound (the gap they leave is filled over REST)', () => {
    const seq = new RecordSequence(aggs, range, 0);
    let refused = 0;
    for (let a = 1; a <= 200_001; a++) if (!seq.hold({ key: a, time: 11_000, doneBefore: 11_000, record: aggEvent(1, 11_000).record })) refused++;
    assert.equal(refused, 1);
  });
});
