import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RollingWindow,
  atr,
  candleSeries,
  ema,
  indicatorTable,
  logReturns,
  rollingVolatility,
  rollingVwap,
  rsi,
  sma,
} from '../../src/actors/analytics/index.ts';
import { IndicatorSpecsText } from '../../src/protocol/index.ts';
import type { Candle } from '../../src/protocol/index.ts';
import { randomCandles } from '../helpers/random-candles.ts';

const close = (values: readonly number[]): number[] => [...values];

function assertSeries(actual: Float64Array, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => {
    const a = actual[i] ?? Number.NaN;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}]: expected warm-up NaN, got ${a}`);
    else assert.ok(Math.abs(a - e) <= 1e-12 * Math.max(1, Math.abs(e)), `${what}[${i}]: expected ${e}, got ${a}`);
  });
}

describe('indicators, small cases computed by hand', () => {
  it('SMA(3) is the mean of the last 3 values from the 3rd on', () => {
    assertSeries(sma(close([1, 2, 3, 4, 5, 9]), 3), [NaN, NaN, 2, 3, 4, 6], 'sma');
  });

  it('EMA(3) is seeded with the first 3 values\' mean, then k = 2/(3+1)', () => {
    // seed (1+2+3)/3 = 2; then 2 + 0.5·(4−2) = 3; 3 + 0.5·(8−3) = 5.5; 5.5 + 0.5·(5.5−5.5) = 5.5
    assertSeries(ema(close([1, 2, 3, 4, 8, 5.5]), 3), [NaN, NaN, 2, 3, 5.5, 5.5], 'ema');
  });

  it('EMA(1) and SMA(1) are the values themselves', () => {
    assertSeries(ema([3, 1, 4], 1), [3, 1, 4], 'ema1');
    assertSeries(sma([3, 1, 4], 1), [3, 1, 4], 'sma1');
  });

  it('RSI(2) with Wilder smoothing', () => {
    // changes +1, −0.5, +1.5, −1
    // t=2: gain (1+0)/2 = 0.5, loss (0+0.5)/2 = 0.25 → 100·0.5/0.75
    // t=3: gain (0.5+1.5)/2 = 1, loss (0.25+0)/2 = 0.125 → 100/1.125
    // t=4: gain (1+0)/2 = 0.5, loss (0.125+1)/2 = 0.5625 → 100·0.5/1.0625
    assertSeries(rsi([10, 11, 10.5, 12, 11], 2), [NaN, NaN, 200 / 3, 100 / 1.125, 50 / 1.0625], 'rsi');
  });

  it('RSI is 100 after gains only, 0 after losses only, 50 without any movement', () => {
    assert.equal(rsi([1, 2, 3, 4], 3)[3], 100);
    assert.equal(rsi([4, 3, 2, 1], 3)[3], 0);
    assert.equal(rsi([5, 5, 5, 5], 3)[3], 50);
  });

  it('ATR(2): true ranges reach back to the previous close, then Wilder smoothing', () => {
    const series = { high: [11, 12, 11.5, 14], low: [9, 10, 10.5, 12], close: [10, 11, 11, 13] };
    // TR: t1 max(12,10)−min(10,10) = 2; t2 max(11.5,11)−min(10.5,11) = 1; t3 max(14,11)−min(12,11) = 3 (gap up)
    // ATR t2 = (2+1)/2 = 1.5; t3 = (1.5·1 + 3)/2 = 2.25
    assertSeries(atr(series, 2), [NaN, NaN, 1.5, 2.25], 'atr');
  });

  it('rolling VWAP(2) weighs the typical price by volume; NaN where the window traded nothing', () => {
    const series = { high: [11, 12, 11.5, 14, 14], low: [9, 10, 10.5, 12, 12], close: [10, 11, 11, 13, 13], volume: [1, 3, 0, 2, 0] };
    // typical 10, 11, 11, 13, 13 → (10+33)/4, (33+0)/3, (0+26)/2, (26+0)/2
    assertSeries(rollingVwap(series, 2), [NaN, 10.75, 11, 13, 13], 'vwap');
    assertSeries(rollingVwap({ ...series, volume: [1, 0, 0, 2, 2] }, 2), [NaN, 10, NaN, 13, 13], 'vwap without volume');
  });

  it('log returns over 1 and 2 candles', () => {
    assertSeries(logReturns([100, 110, 99], 1), [NaN, Math.log(1.1), Math.log(0.9)], 'logret');
    assertSeries(logReturns([100, 110, 99], 2), [NaN, NaN, Math.log(0.99)], 'logret 2');
  });

  it('volatility(2) is the sample std of the last 2 log returns', () => {
    const r1 = Math.log(1.1);
    const r2 = Math.log(0.9);
    assertSeries(rollingVolatility([100, 110, 99, 99], 2), [NaN, NaN, Math.abs(r1 - r2) / Math.SQRT2, Math.abs(r2) / Math.SQRT2], 'vol');
  });
});

describe('RollingWindow', () => {
  it('keeps sum and variance exact over a long stream with a large offset (recomputed every window)', () => {
    const w = new RollingWindow(50);
    const values: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const v = 1e6 + Math.sin(i * 0.37) * 3 + (i % 7) * 0.01;
      values.push(v);
      w.push(v);
    }
    const last = values.slice(-50);
    const mean = last.reduce((a, b) => a + b, 0) / 50;
    const variance = last.reduce((a, b) => a + (b - mean) ** 2, 0) / 49;
    assert.ok(Math.abs(w.mean() - mean) < 1e-9, `mean ${w.mean()} vs ${mean}`);
    assert.ok(Math.abs(w.variance() - variance) / variance < 1e-9, `variance ${w.variance()} vs ${variance}`);
    assert.equal(w.at(0), values.at(-1));
    assert.equal(w.at(49), values.at(-50));
    assert.ok(Number.isNaN(w.at(50)));
  });
});

describe('no look-ahead', () => {
  const candles = randomCandles(400, 11);
  const specs = IndicatorSpecsText.parse('ema:20,sma:10,rsi:14,atr:14,vwap:24,logret,logret:3,vol:24');

  it('changing every candle after t changes no value at or before t', () => {
    const before = indicatorTable(candles, specs);
    for (const t of [30, 150, 398]) {
      const perturbed: Candle[] = candles.map((c, i) =>
        i <= t ? c : { ...c, open: '1.00000000', high: '999.00000000', low: '0.50000000', close: String(7 + (i % 5)), volume: '123456.00000000' },
      );
      const after = indicatorTable(perturbed, specs);
      assert.deepEqual(after.rows.slice(0, t + 1), before.rows.slice(0, t + 1), `rows up to ${t}`);
      assert.notDeepEqual(after.rows[t + 1], before.rows[t + 1], 'the perturbation does change the future');
    }
  });
});

describe('indicatorTable', () => {
  it('names the columns and leaves warm-up cells null', () => {
    const candles = randomCandles(60, 3);
    const table = indicatorTable(candles, IndicatorSpecsText.parse('ema:20,rsi:14,atr:14,vwap:24,logret,vol:24'));
    assert.deepEqual(table.columns, ['open_time', 'ema_20', 'rsi_14', 'atr_14', 'vwap_24', 'log_return', 'vol_24']);
    assert.equal(table.rows.length, 60);
    assert.equal(table.rows[0]?.open_time, candles[0]?.open_time);
    const firstValue = (column: string): number => table.rows.findIndex((r) => r[column] !== null);
    assert.equal(firstValue('ema_20'), 19);
    assert.equal(firstValue('rsi_14'), 14);
    assert.equal(firstValue('atr_14'), 14);
    assert.equal(firstValue('log_return'), 1);
    assert.equal(firstValue('vol_24'), 24);
    for (const row of table.rows.slice(24)) assert.ok(Object.values(row).every((v) => typeof v === 'number' && Number.isFinite(v)), `row ${row.open_time} is complete after the longest warm-up`);
  });

  it('reads the decimal strings as the nearest doubles', () => {
    const series = candleSeries([{ open_time: 1, open: '0.10000000', high: '0.30000000', low: '0.00000001', close: '67012.34000000', volume: '100000000000000.12345678' }]);
    assert.equal(series.close[0], 67012.34);
    assert.equal(series.low[0], 1e-8);
    assert.equal(series.volume[0], Number('100000000000000.12345678'), 'beyond float64 digits: the nearest double');
    assert.ok(Math.abs((series.volume[0] ?? 0) - 1e14 - 0.12345678) <= 2 ** -6, 'within one ulp of 1e14');
  });

  it('refuses candles out of time order', () => {
    const candles = randomCandles(3, 1);
    assert.throws(() => indicatorTable([candles[1], candles[0]].filter((c) => c !== undefined), [{ name: 'ema', period: 2 }]), /strictly increasing open time/);
  });
});

describe('IndicatorSpecsText', () => {
  it('reads the list in order, with the column names', () => {
    assert.deepEqual(IndicatorSpecsText.parse('ema:20, rsi:14,atr:14,vwap:24,logret,vol:24,sma:5,logret:4'), [
      { name: 'ema', period: 20 },
      { name: 'rsi', period: 14 },
      { name: 'atr', period: 14 },
      { name: 'vwap', period: 24 },
      { name: 'logret', period: 1 },
      { name: 'vol', period: 24 },
      { name: 'sma', period: 5 },
      { name: 'logret', period: 4 },
    ]);
  });

  it('rejects what it cannot read, saying what is accepted', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /no indicator given/],
      ['macd:12', /unknown indicator "macd:12"/],
      ['ema', /ema needs a period, as in ema:14/],
      ['ema:0', /period of ema must be from 1 to 10000/],
      ['rsi:10001', /period of rsi must be from 1 to 10000/],
      ['vol:1', /period of vol must be from 2 to 10000/],
      ['ema:20,ema:20', /"ema:20" is given twice/],
      ['logret,logret:1', /given twice \(column log_return\)/],
      ['ema:20,,rsi:14', /an empty item between commas/],
      ['ema:-3', /unknown indicator/],
      ['ema:2.5', /unknown indicator/],
    ];
    for (const [text, pattern] of cases) {
      const result = IndicatorSpecsText.safeParse(text);
      assert.equal(result.success, false, text);
      const message = result.error?.issues[0]?.message ?? '';
      assert.match(message, pattern, text);
      assert.match(message, /accepted: a comma-separated list of ema:N, sma:N, rsi:N, atr:N, vwap:N, logret\[:N\], vol:N/, text);
    }
  });
});
