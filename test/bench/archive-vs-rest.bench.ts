import { pino } from 'pino';
import { Targets } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const MONTH_FROM = Date.parse('2024-07-01T00:00:00Z');
const MONTH_TO = Date.parse('2024-08-01T00:00:00Z'); // 44,640 one-minute candles
const CANDLES = (MONTH_TO - MONTH_FROM) / 60_000;

interface Timing {
  /** From the workflow's start to the loader's `finished`: every candle fetched, parsed and on the bus. */
  readonly loaderSeconds: number;
  /** To the workflow's end: every candle stored. */
  readonly totalSeconds: number;
}

/**
 * One month of 1m candles from the bulk archive against the REST-only path, both as whole workflows
 * in one process against the same simulator with the same per-request latency (an RTT to the
 * exchange). The archive simulator's zip is built once before timing: data.binance.vision serves
 * prebuilt files.
 */
export async function benchArchiveVsRest(): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const lines: BenchLine[] = [];
  const ratios: BenchRatio[] = [];
  for (const latencyMs of [20, 100]) {
    const sim = await startExchangeSimulator({ latencyMs });
    try {
      // Warm the simulator's file cache (its zip building is the simulator's cost, not the client's).
      await fetch(`${sim.url}/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07.zip`).then((r) => r.arrayBuffer());
      const rest = await timeWorkflow(sim.url, 'api_candles_1m');
      const archive = await timeWorkflow(sim.url, 'archive_candles_1m');
      lines.push(
        { name: `RTT ${latencyMs} ms: REST-only loader (${CANDLES.toLocaleString('en-US')} candles to the bus)`, value: round(rest.loaderSeconds), unit: 's' },
        { name: `RTT ${latencyMs} ms: archive loader`, value: round(archive.loaderSeconds), unit: 's' },
        { name: `RTT ${latencyMs} ms: REST-only workflow (stored)`, value: round(rest.totalSeconds), unit: 's' },
        { name: `RTT ${latencyMs} ms: archive workflow (stored)`, value: round(archive.totalSeconds), unit: 's' },
      );
      const loaderRatio = rest.loaderSeconds / archive.loaderSeconds;
      ratios.push(
        { name: `RTT ${latencyMs} ms: archive speed-up, loading (REST time / archive time)`, value: loaderRatio, target: '>= 10', met: loaderRatio >= 10 },
        { name: `RTT ${latencyMs} ms: archive speed-up, whole workflow`, value: rest.totalSeconds / archive.totalSeconds, target: '(informative)', met: true },
      );
    } finally {
      await sim.close();
    }
  }
  return { lines, ratios };
}

async function timeWorkflow(url: string, type: string): Promise<Timing> {
  const rt = await startTestRuntime(url, { overrides: () => ({ logger: pino({ level: 'silent' }) }) });
  try {
    const wf = await rt.manager.create({ symbol: 'BTCUSDT', type, range: { fromMs: MONTH_FROM, toMs: MONTH_TO } });
    const done: Workflow = await rt.settle(wf.queue_id, 300_000);
    if (done.status !== 'completed') throw new Error(`${type} workflow ${done.status}: ${JSON.stringify(done.error)}`);
    const loader = done.stages[Targets.loader];
    if (done.stages[Targets.connector]?.records !== CANDLES) throw new Error(`${type}: stored ${done.stages[Targets.connector]?.records} of ${CANDLES}`);
    const start = done.started_at ?? done.created_at;
    return { loaderSeconds: ((loader?.finished_at ?? 0) - start) / 1000, totalSeconds: ((done.finished_at ?? 0) - start) / 1000 };
  } finally {
    await rt.close();
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
