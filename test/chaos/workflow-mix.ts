import { TERMINAL_STATUSES } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import type { CreateWorkflowRequest, WorkflowRegistry } from '../../src/actors/index.ts';
import type { ChaosProfile } from './chaos-experiment.ts';

/** The sizes of the workflow mix an experiment runs while it injects faults. */
export interface MixSize {
  /** Days of REST 1m candles (BTCUSDT, 1,440 a day). */
  readonly candleDays: number;
  /** Hours of REST aggregate trades (ETHUSDT, ~10,800 an hour). */
  readonly tradeHours: number;
  /** Length of the live `ws_aggtrades` stream (PEPEUSDT), from a few seconds ago. */
  readonly liveMs: number;
}

/** Sizes that keep the workflows running through the faults of each profile. */
export const MIX_SIZES: Readonly<Record<ChaosProfile, MixSize>> = {
  short: { candleDays: 30, tradeHours: 2, liveMs: 15_000 },
  full: { candleDays: 240, tradeHours: 12, liveMs: 90_000 },
};

const CANDLES_FROM_MS = Date.parse('2022-01-01T00:00:00Z');
const TRADES_FROM_MS = Date.parse('2024-06-01T00:00:00Z');
/** The live stream starts this far back: its first seconds come from the REST backfill. */
const LIVE_PAST_MS = 3_000;

/** What creates workflows: the in-process manager, or a manager process over its HTTP API. */
export interface WorkflowCreator {
  create(request: CreateWorkflowRequest): Promise<Workflow>;
}

/** Creates the mix: REST candles, REST trades and a live stream, each a workflow of its own symbol (and so its own collection). */
export async function startWorkflowMix(manager: WorkflowCreator, size: MixSize): Promise<Workflow[]> {
  const liveFrom = Date.now() - LIVE_PAST_MS;
  return Promise.all([
    manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: CANDLES_FROM_MS, toMs: CANDLES_FROM_MS + size.candleDays * 86_400_000 } }),
    manager.create({ symbol: 'ETHUSDT', type: 'api_trades', range: { fromMs: TRADES_FROM_MS, toMs: TRADES_FROM_MS + size.tradeHours * 3_600_000 } }),
    manager.create({ symbol: 'PEPEUSDT', type: 'ws_aggtrades', range: { fromMs: liveFrom, toMs: liveFrom + size.liveMs } }),
  ]);
}

/** Waits until every workflow has ended (or `signal` aborts, or the deadline passes) and returns their last states. */
export async function settleAll(registry: WorkflowRegistry, workflows: readonly Workflow[], timeoutMs: number, signal: AbortSignal): Promise<Workflow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await Promise.all(workflows.map(async (wf) => (await registry.get(wf.queue_id)) ?? wf));
    if (now.every((wf) => TERMINAL_STATUSES.has(wf.status)) || signal.aborted || Date.now() > deadline) return now;
    await abortableDelay(250, signal);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Stage relaunches the supervisors recorded, over every stage of every workflow. */
export function restartsOf(workflows: readonly Workflow[]): number {
  return workflows.reduce((n, wf) => n + Object.values(wf.stages).reduce((m, s) => m + s.restarts, 0), 0);
}
