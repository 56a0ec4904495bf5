import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { atr, candleSeries, ema, logReturns, rollingVolatility, rollingVwap, rsi, sma } from '../../src/actors/analytics/index.ts';
import type { Candle } from '../../src/protocol/index.ts';
import { ensurePythonPackages } from '../helpers/python-env.ts';
import { randomCandles } from '../helpers/random-candles.ts';

/**
 * Our indicators against the references: TA-Lib (the C library, through PyPI's `ta-lib` wheel) for
 * EMA, SMA, RSI and ATR; numpy for the rolling VWAP, log returns and volatility. Same candles (the
 * same decimal strings, parsed by each side), values compared to 1e-9 relative, warm-up lengths
 * exactly.
 */
const REQUIREMENTS = ['ta-lib==0.6.8', 'numpy==2.4.6'];
const PERIODS = [2, 5, 14, 20, 50];
const TOLERANCE = 1e-9;

const REFERENCE = `
import json, sys
import numpy as np, talib
from numpy.lib.stride_tricks import sliding_window_view as windows
data = json.load(open(sys.argv[1]))
periods = data['periods']
out = []
for series in data['series']:
    f = lambda k: np.array([float(x) for x in series[k]], dtype=np.float64)
    o, h, l, c, v = f('open'), f('high'), f('low'), f('close'), f('volume')
    res = {}
    tp = (h + l + c) / 3.0
    for p in periods:
        res[f'ema_{p}'] = talib.EMA(c, timeperiod=p)
        res[f'sma_{p}'] = talib.SMA(c, timeperiod=p)
        res[f'rsi_{p}'] = talib.RSI(c, timeperiod=p)
        res[f'atr_{p}'] = talib.ATR(h, l, c, timeperiod=p)
        vw = np.full(len(c), np.nan)
        pv, vv = windows(tp * v, p).sum(axis=1), windows(v, p).sum(axis=1)
        with np.errstate(invalid='ignore', divide='ignore'):
            vw[p - 1:] = np.where(vv > 0, pv / vv, np.nan)
        res[f'vwap_{p}'] = vw
        lr = np.full(len(c), np.nan)
        lr[p:] = np.log(c[p:] / c[:-p])
        res[f'logret_{p}'] = lr
        r = np.log(c[1:] / c[:-1])
        vol = np.full(len(c), np.nan)
        vol[p:] = windows(r, p).std(axis=1, ddof=1)
        res[f'vol_{p}'] = vol
    out.append({k: [None if np.isnan(x) else float(x) for x in arr] for k, arr in res.items()})
print(json.dumps({'talib': talib.__ta_version__.decode(), 'numpy': np.__version__, 'series': out}))
`;

interface Reference {
  talib: string;
  numpy: string;
  series: Array<Record<string, Array<number | null>>>;
}

function ours(candles: Candle[], key: string, period: number): Float64Array {
  const s = candleSeries(candles);
  switch (key) {
    case 'ema':
      return ema(s.close, period);
    case 'sma':
      return sma(s.close, period);
    case 'rsi':
      return rsi(s.close, period);
    case 'atr':
      return atr(s, period);
    case 'vwap':
      return rollingVwap(s, period);
    case 'logret':
      return logReturns(s.close, period);
    case 'vol':
      return rollingVolatility(s.close, period);
    default:
      throw new Error(`no indicator ${key}`);
  }
}

describe('indicators against TA-Lib and numpy', () => {
  let dir = '';
  let reference: Reference;
  // Three price scales (a large coin, a dollar coin, a sub-cent coin) and a long run for drift.
  const datasets = [randomCandles(3000, 1, { price: 65_000 }), randomCandles(3000, 2, { price: 1.5 }), randomCandles(20_000, 3, { price: 0.012 })];

  before(async () => {
    const python = await ensurePythonPackages(REQUIREMENTS, ['talib', 'numpy']);
    dir = await mkdtemp(join(tmpdir(), 'sf-indicators-'));
    const input = join(dir, 'candles.json');
    const pick = (k: 'open' | 'high' | 'low' | 'close' | 'volume'): string[][] => datasets.map((d) => d.map((c) => c[k]));
    const series = datasets.map((_, i) => ({ open: pick('open')[i], high: pick('high')[i], low: pick('low')[i], close: pick('close')[i], volume: pick('volume')[i] }));
    await writeFile(input, JSON.stringify({ periods: PERIODS, series }));
    const run = spawnSync(python, ['-c', REFERENCE, input], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    assert.equal(run.status, 0, run.stderr);
    reference = JSON.parse(run.stdout) as Reference;
  });

  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  for (const key of ['ema', 'sma', 'rsi', 'atr', 'vwap', 'logret', 'vol']) {
    it(`${key} agrees to ${TOLERANCE} relative, warm-up included`, (t) => {
      let worst = 0;
      let compared = 0;
      datasets.forEach((candles, d) => {
        for (const period of PERIODS) {
          const expected = reference.series[d]?.[`${key}_${period}`];
          assert.ok(expected !== undefined, `reference for ${key}_${period}`);
          const actual = ours(candles, key, period);
          assert.equal(actual.length, expected.length);
          expected.forEach((e, i) => {
            const a = actual[i] ?? Number.NaN;
            if (e === null) {
              assert.ok(Number.isNaN(a), `${key}_${period} of set ${d} at ${i}: reference warms up, ours gives ${a}`);
              return;
            }
            const relative = Math.abs(a - e) / Math.max(Math.abs(e), Number.MIN_VALUE);
            assert.ok(Math.abs(a - e) === 0 || relative <= TOLERANCE, `${key}_${period} of set ${d} at ${i}: ours ${a}, reference ${e}`);
            worst = Math.max(worst, Math.abs(a - e) === 0 ? 0 : relative);
            compared += 1;
          });
        }
      });
      t.diagnostic(`${compared} values, worst relative difference ${worst.toExponential(2)} (TA-Lib ${reference.talib}, numpy ${reference.numpy})`);
    });
  }
});
