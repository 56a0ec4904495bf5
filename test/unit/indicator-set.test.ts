import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndicatorSet, indicatorLookback, indicatorTable, indicatorWarmup, indicatorsWarmup, warmupStart } from '../../src/actors/analytics/index.ts';
import { IndicatorSpecsText } from '../../src/protocol/index.ts';
import type { IndicatorRow, IndicatorSpec } from '../../src/protocol/index.ts';
import { randomCandles } from '../helpers/random-candles.ts';

const specs = (text: string): IndicatorSpec[] => IndicatorSpecsText.parse(text);
const HOUR = 3_600_000;

describe('IndicatorSet', () => {
  it('gives, a candle at a time, exactly the rows of indicatorTable (the TA-Lib-checked arrays)', () => {
    const candles = randomCandles(600, 11);
    const asked = specs('ema:20,sma:7,rsi:14,atr:14,vwap:24,logret,logret:5,vol:24');
    const table = indicatorTable(candles, asked);
    const set = new IndicatorSet(asked);
    assert.deepEqual(set.columns, table.columns);
    const rows: IndicatorRow[] = candles.map((c) => set.update(c));
    assert.deepEqual(rows, table.rows);
  });

  it('refuses candles out of order', () => {
    const [a, b] = randomCandles(2, 3);
    const set = new IndicatorSet(specs('ema:2'));
    set.update(b ?? assert.fail());
    assert.throws(() => set.update(a ?? assert.fail()), /strictly increasing open time/);
  });
});

describe('indicator warm-up', () => {
  it('is the lookback for windowed indicators, and until the seed weighs < 1e-8 for recursive ones', () => {
    // By hand: EMA(20) keeps 19/21 a candle, ln(1e-8)/ln(19/21) = 184.05 → 185 more after its 19;
    // Wilder's RSI(14) and ATR(14) keep 13/14, ln(1e-8)/ln(13/14) = 248.56 → 249 more after their 14.
    const cases: Array<[string, number]> = [
      ['ema:20', 19 + 185],
      ['rsi:14', 14 + 249],
      ['atr:14', 14 + 249],
      ['sma:20', 19],
      ['vwap:24', 23],
      ['logret', 1],
      ['logret:5', 5],
      ['vol:24', 24],
      ['ema:1', 0],
      ['rsi:1', 1],
    ];
    for (const [text, expected] of cases) assert.equal(indicatorWarmup(specs(text)[0] ?? assert.fail()), expected, text);
    assert.equal(indicatorsWarmup(specs('sma:5,ema:20,vwap:24')), 204);
  });

  it('makes the values from a later start agree with those over the whole history; the lookback alone does not', () => {
    const candles = randomCandles(3000, 5);
    const asked = specs('ema:20,rsi:14,atr:14');
    const full = indicatorTable(candles, asked).rows;
    const worst = (skip: number): number => {
      const start = 2000;
      const part = indicatorTable(candles.slice(start - skip), asked).rows.slice(skip);
      let most = 0;
      part.forEach((row, k) => {
        for (const col of ['ema_20', 'rsi_14', 'atr_14']) {
          const a = row[col] ?? Number.NaN;
          const b = full[start + k]?.[col] ?? Number.NaN;
          most = Math.max(most, Math.abs(a - b) / Math.max(1, Math.abs(b)));
        }
      });
      return most;
    };
    const warm = worst(indicatorsWarmup(asked));
    assert.ok(warm < 1e-8, `with the warm-up: worst relative difference ${warm}`);
    const bare = worst(Math.max(...asked.map(indicatorLookback)));
    assert.ok(bare > 1e-4, `with the lookback only the seed still shows: ${bare}`);
  });

  it('starts reading that many candles before from, a calendar month counted as 31 days', () => {
    const from = Date.UTC(2024, 5, 1);
    assert.equal(warmupStart('1h', from, 263), from - 263 * HOUR);
    assert.equal(warmupStart('1M', from, 2), from - 62 * 24 * HOUR);
    assert.equal(warmupStart('1d', 86_400_000, 5), 0, 'never before the epoch');
  });
});
