import { pino } from 'pino';
import type { StoredDocument } from '../../src/actors/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const RATE = 10_000;
const SECONDS = 10;
const SYMBOL = 'FIREUSDT';

/** The embedded store, noting for each stored aggregate trade how long after its exchange event time it became durable. */
class TimedStore extends EmbeddedStore {
  readonly latenciesMs: number[] = [];
  readonly ids = new Set<number>();

  override async upsert(collection: string, documents: readonly StoredDocument[]): Promise<void> {
    await super.upsert(collection, documents);
    const now = Date.now();
    for (const d of documents) {
      if (typeof d.timestamp !== 'number' || typeof d.trade_id !== 'number' || d.symbol !== SYMBOL) continue;
      this.latenciesMs.push(now - d.timestamp);
      this.ids.add(d.trade_id);
    }
  }
}

/**
 * WebSocket event to stored record: the simulator's firehose sends 10,000 aggTrade events a second
 * (E = T = send time) to a `ws_aggtrades` workflow (loader and connector in one process, embedded bus
 * and store); the store notes when each record is durable.
 */
export async function benchLiveLatency(): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  // Listed in the future: REST has no trades for it, so the firehose (whose ids REST does not know) is the only source.
  const sim = await startExchangeSimulator({
    symbols: { BTCUSDT: {}, [SYMBOL]: { listedAtMs: Date.now() + 30 * 86_400_000 } },
    ws: { firehose: { symbol: SYMBOL, eventsPerSecond: RATE } },
  });
  let store: TimedStore | undefined;
  const rt = await startTestRuntime(sim.url, {
    overrides: (dataDir) => {
      store = new TimedStore(dataDir);
      return { logger: pino({ level: 'silent' }), store };
    },
  });
  try {
    // Starts a little ahead, so the loader takes its first id from the stream, not from REST.
    const from = Date.now() + 2_000;
    const wf = await rt.manager.create({ symbol: SYMBOL, type: 'ws_aggtrades', range: { fromMs: from, toMs: from + SECONDS * 1000 } });
    const done = await rt.settle(wf.queue_id, 120_000);
    if (done.status !== 'completed') throw new Error(`live workflow ${done.status}: ${JSON.stringify(done.error)}`);
    const latencies = [...(store?.latenciesMs ?? [])].sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
    const ids = [...(store?.ids ?? [])];
    const span = ids.length === 0 ? 0 : Math.max(...ids) - Math.min(...ids) + 1;
    if (span !== ids.length) throw new Error(`stored ${ids.length} distinct trades but their ids span ${span}: events were lost`);
    const p50 = at(0.5);
    const p99 = at(0.99);
    return {
      lines: [
        { name: `events stored (${RATE.toLocaleString('en-US')}/s for ${SECONDS} s), ids consecutive`, value: ids.length, unit: 'records' },
        { name: 'event to stored record, p50', value: p50, unit: 'ms' },
        { name: 'event to stored record, p99', value: p99, unit: 'ms' },
        { name: 'event to stored record, max', value: latencies.at(-1) ?? Number.NaN, unit: 'ms' },
      ],
      ratios: [],
    };
  } finally {
    await rt.close();
    await sim.close();
  }
}
