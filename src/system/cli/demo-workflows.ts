import { CreateGraphBody, TERMINAL_STATUSES } from '../../protocol/index.ts';
import type { ModelMetadata, Workflow } from '../../protocol/index.ts';
import type { CreateWorkflowRequest, GraphWorkflowRequest } from '../../actors/index.ts';
import { graphWorkflowRequest, openLiveRange } from '../../actors/index.ts';
import type { Hole, SimulatorOptions } from '../exchange-simulator/index.ts';
import type { WorkflowManager } from '../manager/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { workflowCount } from './workflow-count.ts';

const HOUR_MS = 3_600_000;
/** Where the demo's history starts: a fixed past, so every demo shows the same candles, graph and model. */
const HISTORY_FROM_MS = Date.UTC(2024, 0, 1);
/** The training universe's hourly candles: 125 days, as the gnn_train workflow test (whose model beats its baselines). */
const TRAIN_HOURS = 3_000;
/** The universe the graph network learns: a market of two planted clusters (correlated inside, not across). */
export const DEMO_UNIVERSE = ['ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'AVAXUSDT', 'LINKUSDT'] as const;
/** Four hours of maintenance in BTCUSDT's history: the candles chart shades it as the exchange's hole. */
const MAINTENANCE: Hole = { symbol: 'BTCUSDT', fromMs: HISTORY_FROM_MS + 40 * 24 * HOUR_MS + 2 * HOUR_MS, toMs: HISTORY_FROM_MS + 40 * 24 * HOUR_MS + 6 * HOUR_MS };

/** The exchange the demo runs against: the simulator with a planted-clusters market for {@link DEMO_UNIVERSE}. */
export const DEMO_EXCHANGE: SimulatorOptions = {
  seed: 11,
  market: { kind: 'planted-clusters', symbols: DEMO_UNIVERSE, seed: 5, clusters: 2, startMs: HISTORY_FROM_MS - 500 * HOUR_MS },
  holes: [MAINTENANCE],
};

/** The demo's training run: its universe's first 3,000 hourly candles, 40 epochs at most (early stopping), seed 3. */
export function demoTrainingRequest(nowMs: number): GraphWorkflowRequest {
  const body = CreateGraphBody.parse({
    type: 'gnn_train',
    symbols: [...DEMO_UNIVERSE],
    interval: '1h',
    from: new Date(HISTORY_FROM_MS).toISOString(),
    to: new Date(HISTORY_FROM_MS + TRAIN_HOURS * HOUR_MS).toISOString(),
    epochs: 40,
    seed: 3,
  });
  return graphWorkflowRequest(body, nowMs);
}

/** One workflow the demo starts, as the user reads it. */
export interface DemoWorkflow {
  readonly what: string;
  readonly request: CreateWorkflowRequest;
}

/**
 * What the demo runs: REST candles (with a maintenance hole), REST aggregate trades, a live
 * aggregate-trade stream until stopped, and a small gnn_train (8 symbols, 3,000 hourly candles,
 * at most 40 epochs with early stopping: a minute or two here).
 */
export function demoWorkflows(nowMs: number): DemoWorkflow[] {
  return [
    { what: 'BTCUSDT 1h candles over REST, 2024-01-01 to 2024-03-01', request: { symbol: 'BTCUSDT', type: 'api_candles_1h', range: { fromMs: HISTORY_FROM_MS, toMs: Date.UTC(2024, 2, 1) } } },
    { what: 'BTCUSDT aggregate trades over REST, six hours of 2024-01-02', request: { symbol: 'BTCUSDT', type: 'api_trades', range: { fromMs: HISTORY_FROM_MS + 24 * HOUR_MS, toMs: HISTORY_FROM_MS + 30 * HOUR_MS } } },
    { what: 'BTCUSDT live aggregate trades over WebSocket, until stopped', request: { symbol: 'BTCUSDT', type: 'ws_aggtrades', range: openLiveRange(nowMs) } },
    { what: `a graph network trained on ${DEMO_UNIVERSE.length} symbols' hourly candles (gnn_train)`, request: demoTrainingRequest(nowMs) },
  ];
}

/** Starts the demo's workflows, saying each one's queue id. */
export async function startDemoWorkflows(io: CliIo, manager: WorkflowManager, nowMs: number): Promise<Workflow[]> {
  const started: Workflow[] = [];
  for (const { what, request } of demoWorkflows(nowMs)) {
    const wf = await manager.create(request);
    writeLine(io.out, `started ${wf.queue_id}: ${what}`);
    started.push(wf);
  }
  return started;
}

/** A stored model in a line: promoted or not, and its test accuracy beside its baselines'. */
export function modelLine(model: ModelMetadata): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const { gnn, mlp, logistic, majority } = model.metrics;
  return `${model.promoted ? 'promoted' : 'not promoted'}, test accuracy ${pct(gnn.accuracy)} (MLP ${pct(mlp.accuracy)}, logistic ${pct(logistic.accuracy)}, majority ${pct(majority.accuracy)})`;
}

/**
 * Says when each workflow ends (and each model stored), reading the registry every `everyMs` until
 * `signal` aborts; a live workflow never ends by itself.
 */
export async function followDemoWorkflows(
  io: CliIo,
  manager: WorkflowManager,
  workflows: readonly Workflow[],
  clock: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> },
  signal: AbortSignal,
  describeModel: (id: string) => Promise<string>,
  everyMs = 1_000,
): Promise<void> {
  const startedAt = clock.now();
  const pending = new Set(workflows.map((wf) => wf.queue_id));
  const modelsSaid = new Set<string>();
  while (pending.size > 0 && !signal.aborted) {
    for (const queueId of [...pending]) {
      const wf = await manager.get(queueId);
      if (wf === undefined) continue;
      for (const id of wf.models ?? []) {
        if (modelsSaid.has(id)) continue;
        modelsSaid.add(id);
        writeLine(io.out, `model ${id} stored after ${seconds(clock.now() - startedAt)}: ${await describeModel(id)}; see the Models page`);
      }
      if (!TERMINAL_STATUSES.has(wf.status)) continue;
      pending.delete(queueId);
      const count = workflowCount(wf);
      writeLine(io.out, `${wf.status} ${queueId} after ${seconds(clock.now() - startedAt)} (${count.done} ${count.unit})${wf.error ? `: ${wf.error.message}` : ''}`);
    }
    await clock.sleep(everyMs, signal).catch((err: unknown) => {
      if (!signal.aborted) throw err;
    });
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
