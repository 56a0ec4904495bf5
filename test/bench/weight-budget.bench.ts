import { setTimeout as delay } from 'node:timers/promises';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const WINDOW_MS = 10_000;
/**
 * Weight per 10 s: Binance's own rate (6,000 per minute), in windows short enough to measure three of
 * them in half a minute. One 1m-candle loader then needs 50,000 candles/s through the whole pipeline;
 * at 1,200 per 10 s (60,000/s) a single loader on a 2-core machine is bound by CPU, not by its pacing,
 * and used 0.82 to 0.97 of the budget from run to run.
 */
const LIMIT = 1_000;
const FULL_WINDOWS = 3;

interface WorkflowSpec {
  readonly symbol: string;
  readonly type: string;
}

/**
 * The loaders' use of the advertised budget: backfills far larger than the budget allows run against a
 * simulator advertising 1,200 weight per 10 s; weight used is read from the simulator at window
 * boundaries over full windows only. Several symbols share one IP budget: each loader paces on the
 * exchange's used-weight header, which counts everyone's requests.
 */
async function measureWeightShare(label: string, specs: readonly WorkflowSpec[]): Promise<{ lines: BenchLine[]; ratio: BenchRatio }> {
  const sim = await startExchangeSimulator({
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 10, limit: LIMIT },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61_000 },
    ],
  });
  // Each loader in its own process, as in production: its pacing, not a shared event loop, sets its pace.
  const rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_LAUNCHER: 'process' } });
  try {
    const from = Date.parse('2019-01-01T00:00:00Z');
    const to = Date.parse('2024-01-01T00:00:00Z');
    const wfs = [];
    for (const spec of specs) wfs.push(await rt.manager.create({ symbol: spec.symbol, type: spec.type, range: { fromMs: from, toMs: to } }));
    // Skip the first (partial) window, then sample at each boundary.
    await delay(WINDOW_MS - (Date.now() % WINDOW_MS) + WINDOW_MS + 5);
    const at = [sim.stats().weightUsed];
    for (let i = 0; i < FULL_WINDOWS; i++) {
      await delay(WINDOW_MS - (Date.now() % WINDOW_MS) + 5);
      at.push(sim.stats().weightUsed);
    }
    for (const wf of wfs) await rt.manager.stop(wf.queue_id);
    for (const wf of wfs) await rt.settle(wf.queue_id);
    const used = (at.at(-1) ?? 0) - (at[0] ?? 0);
    const share = used / (LIMIT * FULL_WINDOWS);
    const stats = sim.stats();
    return {
      lines: [
        { name: `${label}: weight used over ${FULL_WINDOWS} full windows of ${WINDOW_MS / 1000} s`, value: used, unit: `of ${LIMIT * FULL_WINDOWS} allowed` },
        { name: `${label}: HTTP 429 answers`, value: stats.status429, unit: '' },
        { name: `${label}: HTTP 418 answers`, value: stats.status418, unit: '' },
      ],
      ratio: {
        name: `share of advertised weight budget used (${label})`,
        value: share,
        target: '>= 0.90 with zero 429s',
        met: share >= 0.9 && stats.status429 === 0 && stats.status418 === 0,
      },
    };
  } finally {
    await rt.close();
    await sim.close();
  }
}

export async function benchWeightBudget(): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const single = await measureWeightShare('single symbol', [{ symbol: 'BTCUSDT', type: 'api_candles_1m' }]);
  const multi = await measureWeightShare('3 symbols, candles and trades', [
    { symbol: 'BTCUSDT', type: 'api_candles_1m' },
    { symbol: 'ETHUSDT', type: 'api_candles_1m' },
    { symbol: 'PEPEUSDT', type: 'api_trades' },
  ]);
  return { lines: [...single.lines, ...multi.lines], ratios: [single.ratio, multi.ratio] };
}
