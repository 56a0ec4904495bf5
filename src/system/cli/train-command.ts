import { z } from 'zod';
import { CreateGraphBody, DEFAULT_EDGE_THRESHOLD, DEFAULT_GRAPH_WINDOW, ModelMetadata, TERMINAL_STATUSES } from '../../protocol/index.ts';
import type { ModelScore, TrainResult, Workflow } from '../../protocol/index.ts';
import type { GraphWorkflowRequest } from '../../actors/index.ts';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import type { WorkflowManager } from '../manager/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { Flag, oneOf, Text } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { hostUntilSignal } from './host-until-signal.ts';
import { workflowProgress } from './workflow-count.ts';

export const TRAIN_USAGE = `Usage: streamforge train --symbols <A,B,…> --interval <i> --from <date|ISO> (--to <date|ISO> | --live) [--horizon N] [--epochs N] [--seed N] [--arch gcn|gatv2] [--window N] [--threshold X | --top-k K] [--retrain-every N] [--json | --format table|json] [--server URL] [--data-dir DIR] [--no-progress]
  Trains a graph neural network on a universe of 2 or more symbols as a gnn_train workflow: the candles
  the store lacks are loaded first (one data workflow per missing span), a graph-builder publishes one
  correlation-graph snapshot per candle, the trainer fits the network (--arch, default gcn) and its
  baselines (MLP without edges, logistic regression, majority class) on the same samples, split in
  time 70/15/15 with a purge gap, and stores the model (S3 with MINIO_ENDPOINT, else files under the
  data dir). Labels: UP/DOWN/FLAT of the log return --horizon candles ahead (default 1).
  Defaults: --window ${DEFAULT_GRAPH_WINDOW} candles, edges where |ρ| ≥ ${DEFAULT_EDGE_THRESHOLD}, --epochs 60 (early stopping on validation),
  --seed 42 (same seed and backend: same metrics). A progress bar per epoch on a terminal.
  Prints the test-period accuracy, macro-F1 and log loss of the network beside its baselines; --json
  (or --format json) prints {model: {id, uri, promoted}, backend, symbols, interval, horizon,
  split: {train, val, test}, metrics: {gnn, mlp, logistic, majority}}.
  --live trains on history from --from, then retrains every --retrain-every new candles (default 168),
  each a new model version, printed as it is stored, until Ctrl-C.
  Exit 0 when a model was stored, 1 when the workflow failed, 2 for bad input (fewer than 2 symbols,
  a range too short for window + horizon + split). --server URL runs it on a running StreamForge.`;

/** How often the followed workflow is read again. */
const POLL_MS = 250;

/** Flags by the body field they fill, to word a body's issues in the CLI's terms. */
const FLAG: Readonly<Record<string, string>> = {
  symbols: '--symbols',
  interval: '--interval',
  from: '--from',
  to: '--to',
  horizon: '--horizon',
  epochs: '--epochs',
  seed: '--seed',
  arch: '--arch',
  window: '--window',
  threshold: '--threshold',
  top_k: '--top-k',
  retrain_every: '--retrain-every',
};

/** A whole-number flag as the body wants it: a number, or the text itself so the body's own rule words the error. */
const count = (text: string | undefined): number | string | undefined => (text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text);

const TrainArgs = z
  .object({
    positionals: z.array(z.string()).max(0, { error: (issue) => `unexpected ${JSON.stringify((issue.input as string[])[0])}: symbols go in --symbols A,B,…` }),
    values: z.object({
      symbols: z.string({ error: (issue) => (issue.input === undefined ? 'missing --symbols (2 or more, comma-separated, e.g. --symbols BTCUSDT,ETHUSDT)' : undefined) }),
      interval: z.string({ error: (issue) => (issue.input === undefined ? 'missing --interval (e.g. --interval 1h)' : undefined) }),
      from: z.string({ error: (issue) => (issue.input === undefined ? 'missing --from (e.g. --from 2023-01-01)' : undefined) }),
      to: Text,
      live: Flag,
      horizon: Text,
      epochs: Text,
      seed: Text,
      arch: Text,
      window: Text,
      threshold: Text,
      'top-k': Text,
      'retrain-every': Text,
      json: Flag,
      format: oneOf('format', ['table', 'json']),
      server: Text,
      'data-dir': Text,
      'no-progress': Flag,
    }),
  })
  .transform(({ values }, ctx) => {
    if (values.to === undefined && !values.live) ctx.addIssue({ code: 'custom', message: 'missing --to (or --live to keep training on new candles)' });
    if (values.to !== undefined && values.live) ctx.addIssue({ code: 'custom', message: '--to and --live exclude each other: a live workflow has no end' });
    if (values['retrain-every'] !== undefined && !values.live) ctx.addIssue({ code: 'custom', message: '--retrain-every needs --live' });
    if (values.server !== undefined && values['data-dir'] !== undefined) {
      ctx.addIssue({ code: 'custom', message: '--data-dir and --server exclude each other: with --server the workflow runs on the server, into its store' });
    }
    const body = CreateGraphBody.safeParse({
      type: 'gnn_train',
      symbols: values.symbols.split(',').filter((s) => s.trim() !== ''),
      interval: values.interval,
      from: values.from,
      ...(values.to !== undefined ? { to: values.to } : {}),
      ...(values.horizon !== undefined ? { horizon: count(values.horizon) } : {}),
      ...(values.epochs !== undefined ? { epochs: count(values.epochs) } : {}),
      ...(values.seed !== undefined ? { seed: count(values.seed) } : {}),
      ...(values.arch !== undefined ? { arch: values.arch } : {}),
      ...(values.window !== undefined ? { window: count(values.window) } : {}),
      ...(values.threshold !== undefined ? { threshold: Number.isNaN(Number(values.threshold)) ? values.threshold : Number(values.threshold) } : {}),
      ...(values['top-k'] !== undefined ? { top_k: count(values['top-k']) } : {}),
      ...(values['retrain-every'] !== undefined ? { retrain_every: count(values['retrain-every']) } : {}),
    });
    if (!body.success) {
      for (const issue of body.error.issues) {
        const field = String(issue.path[0] ?? '');
        ctx.addIssue({ code: 'custom', message: `${FLAG[field] ?? (field || 'train')}: ${issue.message}` });
      }
      return z.NEVER;
    }
    return {
      body: body.data,
      json: values.json || values.format === 'json',
      server: values.server,
      dataDir: values['data-dir'],
      progress: !values['no-progress'],
    };
  });
type TrainArgs = z.output<typeof TrainArgs>;

/** `streamforge train`: a gnn_train workflow in this process (or on `--server`), followed to its model. */
export const trainCommand = defineCommand({
  name: 'train',
  usage: TRAIN_USAGE,
  options: {
    symbols: { type: 'string' },
    interval: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    live: { type: 'boolean' },
    horizon: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
    arch: { type: 'string' },
    window: { type: 'string' },
    threshold: { type: 'string' },
    'top-k': { type: 'string' },
    'retrain-every': { type: 'string' },
    json: { type: 'boolean' },
    format: { type: 'string', default: 'table' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-progress': { type: 'boolean' },
  },
  schema: TrainArgs,
  async run(args, io) {
    const config = loadConfig({ STREAMFORGE_DATA_DIR: args.dataDir, ROLE: 'all' }, io.env, ONE_SHOT_DEFAULTS);
    const { graphWorkflowRequest } = await import('../../actors/index.ts');
    const request = graphWorkflowRequest(args.body, Date.now());
    const { createRuntime } = await import('../runtime.ts');
    if (args.server !== undefined) {
      const { ServerApiClient } = await import('./server-api-client.ts');
      const client = new ServerApiClient(args.server, config.STREAMFORGE_API_TOKEN);
      const runtime = createRuntime(config, {}, { manager: false });
      const model = async (id: string) => ModelMetadata.parse(JSON.parse(await client.getText(`/models/${encodeURIComponent(id)}`)));
      return follow(io, args, request, client, model, runtime.clock, () => runtime.close());
    }
    const { LocalManager } = await import('../manager/index.ts');
    const { modelServiceFor } = await import('../query/index.ts');
    const runtime = createRuntime(config);
    if (runtime.manager === undefined) throw new Error('the runtime of role all hosts no manager');
    const models = modelServiceFor(config, runtime.store, runtime.logger);
    return follow(io, args, request, new LocalManager(runtime.manager, runtime.store), (id) => models.get(id), runtime.clock, async () => {
      await models.close();
      await runtime.close();
    });
  },
});

/** Starts the workflow and follows it: progress while it runs, each stored model as it appears, the result at the end. */
async function follow(
  io: CliIo,
  args: TrainArgs,
  request: GraphWorkflowRequest,
  manager: WorkflowManager,
  model: (id: string) => Promise<ModelMetadata>,
  clock: { now(): number; sleep(ms: number): Promise<void> },
  close: () => Promise<void>,
): Promise<number> {
  const { ProgressDisplay } = await import('./progress-display.ts');
  const { trainResultOf } = await import('../../actors/index.ts');
  let started: Workflow;
  try {
    started = await manager.create(request);
  } catch (err) {
    await close();
    throw err;
  }
  writeLine(io.err, `started ${started.queue_id} (${request.gnn.symbols.length} symbols, ${request.gnn.interval}, ${request.gnn.arch})${args.server !== undefined ? ` on ${manager.where}` : ''}`);
  const progress = new ProgressDisplay(io, { enabled: args.progress, now: () => clock.now() });
  const printed = new Set<string>();
  const printModels = async (wf: Workflow): Promise<void> => {
    for (const id of wf.models ?? []) {
      if (printed.has(id)) continue;
      printed.add(id);
      const result = trainResultOf(await model(id));
      printResult(io, result, args.json);
    }
  };
  const ended = (async () => {
    let wf = started;
    for (;;) {
      wf = (await manager.get(wf.queue_id)) ?? wf;
      progress.update([workflowProgress(wf)]);
      await printModels(wf);
      if (TERMINAL_STATUSES.has(wf.status)) break;
      await clock.sleep(POLL_MS);
    }
    progress.finish();
    if (wf.status === 'completed' && printed.size > 0) return 0;
    if (wf.status === 'stopped' && printed.size > 0) return 0;
    writeLine(io.err, `${wf.status} ${wf.queue_id}${wf.error ? `: ${wf.error.message} [${wf.error.code}]` : ''}`);
    return 1;
  })();
  return hostUntilSignal({
    ended,
    async onSignal() {
      writeLine(io.err, 'stopping…');
      await manager.stop(started.queue_id).catch((err: unknown) => writeLine(io.err, `could not stop ${started.queue_id}: ${(err as Error).message}`));
      return ended;
    },
    close,
  });
}

const score = (s: ModelScore): string => `accuracy ${s.accuracy.toFixed(4)}  macro-F1 ${s.macro_f1.toFixed(4)}  log loss ${s.log_loss.toFixed(4)}`;

function printResult(io: CliIo, r: TrainResult, json: boolean): void {
  if (json) {
    writeLine(io.out, JSON.stringify(r));
    return;
  }
  writeLine(io.out, `model ${r.model.id} (${r.model.promoted ? 'promoted' : 'not promoted: it does not beat its baselines'}) at ${r.model.uri}`);
  writeLine(io.out, `  ${r.symbols.length} symbols, ${r.interval}, horizon ${r.horizon}, trained on ${r.backend}`);
  for (const part of ['train', 'val', 'test'] as const) writeLine(io.out, `  ${part.padEnd(5)} ${r.split[part].from} to ${r.split[part].to} (${r.split[part].samples} snapshots)`);
  writeLine(io.out, '  test period:');
  for (const k of ['gnn', 'mlp', 'logistic', 'majority'] as const) writeLine(io.out, `    ${k.padEnd(9)}${score(r.metrics[k])}`);
}

