// The workflow mix the network and broker-loss experiments run while it injects faults, and its check
// against the exchange simulator's oracle: REST candles (api_candles_1m over many days: tens of
// pages), REST aggregate trades (api_trades) and a live stream (ws_aggtrades from a few seconds ago
// until after the last fault), each series compared key by key, digit by digit.
import type { Store } from '../../src/actors/index.ts';
import { AggTrade, aggTradeFromRow, Candle, candleFromKline, TERMINAL_STATUSES } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { expectedAggTrades, expectedKlines } from '../../src/system/exchange-simulator/index.ts';
import type { LocalManager } from '../../src/system/manager/index.ts';
import type { WorkflowRegistry } from '../../src/actors/index.ts';

export interface MixOptions {
  /** Days of 1m candles for the REST candle workflow (1,440 candles a day). */
  readonly candleDays: number;
  /** Minutes of aggregate trades for the REST trade workflow. */
  readonly tradeMinutes: number;
}

/** A workflow of the mix and what its records are. */
export interface MixWorkflow {
  readonly workflow: Workflow;
  readonly kind: 'candles' | 'agg_trades';
  readonly fromMs: number;
  readonly toMs: number;
}

export interface MixCheck {
  readonly expected: number;
  readonly stored: number;
  readonly missing: number;
  /** Keys stored with content that differs from the oracle (or twice under different document keys). */
  readonly duplicated: number;
  /** Stored records whose key the oracle does not have. */
  readonly extra: number;
  /** One line per workflow: `queue_id status expected/stored/missing/duplicated`. */
  readonly lines: readonly string[];
}

const CANDLES_FROM_MS = Date.parse('2024-03-01T00:00:00Z');
const TRADES_FROM_MS = Date.parse('2024-03-02T00:00:00Z');

/** Creates the REST workflows of the mix (candles, aggregate trades): they start at once. */
export async function startRestMix(manager: LocalManager, options: Pick<MixOptions, 'candleDays' | 'tradeMinutes'>): Promise<MixWorkflow[]> {
  const candleTo = CANDLES_FROM_MS + options.candleDays * 86_400_000;
  const tradeTo = TRADES_FROM_MS + options.tradeMinutes * 60_000;
  const [candles, trades] = await Promise.all([
    manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: CANDLES_FROM_MS, toMs: candleTo } }),
    manager.create({ symbol: 'ETHUSDT', type: 'api_trades', range: { fromMs: TRADES_FROM_MS, toMs: tradeTo } }),
  ]);
  return [
    { workflow: candles, kind: 'candles', fromMs: CANDLES_FROM_MS, toMs: candleTo },
    { workflow: trades, kind: 'agg_trades', fromMs: TRADES_FROM_MS, toMs: tradeTo },
  ];
}

/** Creates the live stream of the mix: aggregate trades from 3 s ago (a REST backfill, then the seam) until `liveMs` from now. */
export async function startLiveMix(manager: LocalManager, liveMs: number): Promise<MixWorkflow> {
  const fromMs = Date.now() - 3_000;
  const toMs = Date.now() + liveMs;
  const live = await manager.create({ symbol: 'BTCUSDT', type: 'ws_aggtrades', range: { fromMs, toMs } });
  return { workflow: live, kind: 'agg_trades', fromMs, toMs };
}

/** The mix's workflows as the registry holds them now. */
export async function mixState(registry: WorkflowRegistry, mix: readonly MixWorkflow[]): Promise<Workflow[]> {
  const found = await Promise.all(mix.map((m) => registry.get(m.workflow.queue_id)));
  return found.map((wf, i) => wf ?? (mix[i] as MixWorkflow).workflow);
}

export function allTerminal(workflows: readonly Workflow[]): boolean {
  return workflows.every((wf) => TERMINAL_STATUSES.has(wf.status));
}

/** Stage relaunches the supervisors made, summed over the workflows' stages. */
export function restartsOf(workflows: readonly Workflow[]): number {
  return workflows.reduce((sum, wf) => sum + Object.values(wf.stages).reduce((s, st) => s + (st?.restarts ?? 0), 0), 0);
}

/** Records stored so far in the mix's collections (progress, for recovery times). */
export async function storedCount(store: Store, mix: readonly MixWorkflow[]): Promise<number> {
  const counts = await Promise.all(mix.map((m) => store.count(m.workflow.collection_name).catch(() => 0)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Compares every stored series with the oracle: what should be there (closed by now), what is. */
export async function checkMix(store: Store, mix: readonly MixWorkflow[], seed: number, finals: readonly Workflow[]): Promise<MixCheck> {
  const nowMs = Date.now();
  let expected = 0;
  let stored = 0;
  let missing = 0;
  let duplicated = 0;
  let extra = 0;
  const lines: string[] = [];
  for (const [i, m] of mix.entries()) {
    const wf = m.workflow;
    const oracle = new Map<string, string>();
    if (m.kind === 'candles') {
      for (const k of expectedKlines(wf.symbol, '1m', m.fromMs, m.toMs, { seed, nowMs }).filter((k) => k[6] < nowMs)) {
        const c = candleFromKline(k, wf.symbol, '1m');
        oracle.set(String(c.open_time), JSON.stringify(c));
      }
    } else {
      for (const r of expectedAggTrades(wf.symbol, m.fromMs, m.toMs, { seed, nowMs })) {
        const t = aggTradeFromRow(r, wf.symbol);
        oracle.set(String(t.trade_id), JSON.stringify(t));
      }
    }
    const docs = await store.range(wf.collection_name).catch(() => []);
    const seen = new Map<string, string>();
    let wfDuplicated = 0;
    let wfExtra = 0;
    for (const doc of docs) {
      const record = m.kind === 'candles' ? Candle.parse(doc) : AggTrade.parse(doc);
      const key = String('open_time' in record ? record.open_time : record.trade_id);
      const content = JSON.stringify(record);
      const want = oracle.get(key);
      if (want === undefined) {
        wfExtra += 1;
        continue;
      }
      const before = seen.get(key);
      if ((before !== undefined && before !== content) || content !== want) wfDuplicated += 1;
      seen.set(key, content);
    }
    const wfMissing = [...oracle.keys()].filter((k) => !seen.has(k)).length;
    expected += oracle.size;
    stored += seen.size;
    missing += wfMissing;
    duplicated += wfDuplicated;
    extra += wfExtra;
    lines.push(`${wf.queue_id} ${finals[i]?.status ?? '?'}: expected ${oracle.size}, stored ${seen.size}, missing ${wfMissing}, duplicated ${wfDuplicated}, extra ${wfExtra}`);
  }
  return { expected, stored, missing, duplicated, extra, lines };
}
