import { z } from 'zod';
import { MarketSymbol, TERMINAL_STATUSES } from '../../protocol/index.ts';
import type { TimeRange, Workflow } from '../../protocol/index.ts';
import type { Clock } from '../../actors/index.ts';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import type { RetryPolicies } from '../config/index.ts';
import type { WorkflowManager } from '../manager/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { Flag, RangeFields, rangeOf, Text, TypeOption } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { hostUntilSignal } from './host-until-signal.ts';
import type { ProgressDisplay } from './progress-display.ts';
import { workflowCount, workflowProgress } from './workflow-count.ts';

export const BACKFILL_USAGE = `Usage: streamforge backfill <SYMBOL>[,<SYMBOL>...] --type <type> --from <date|ISO> --to <date|ISO> [--server URL] [--data-dir DIR] [--no-progress]
  Loads [from, to) (UTC, half-open) into the store: one workflow per symbol (comma- or space-separated), run
  together and sharing the exchange's weight budget, followed to their end on one progress display.
  Exit 0 when every workflow completed, 1 when one failed or was stopped, 2 usage error. Ctrl-C stops them.
  Types: api_candles_<interval>, api_trades (REST history); archive_candles_<interval>, archive_trades (bulk
  archive, recent tail over REST); ws_candles_<interval>, ws_trades, ws_aggtrades, ws_depth (live until --to,
  the past part over REST, disconnects repaired over REST).
  --server URL submits to a running StreamForge and follows it there.`;

/** How often a followed workflow is read again. */
const POLL_MS = 200;

const BackfillArgs = z
  .object({
    // `BTCUSDT ETHUSDT` or `BTCUSDT,ETHUSDT` (as the issue's examples and the original's symbol lists write them).
    positionals: z
      .array(z.string())
      .transform((words) => words.flatMap((w) => w.split(',')).filter((w) => w.trim() !== ''))
      .pipe(z.array(MarketSymbol).min(1, { error: 'missing <SYMBOL> (e.g. BTCUSDT, or several: BTCUSDT,ETHUSDT)' })),
    values: z
      .object({ type: TypeOption, ...RangeFields, server: Text, 'data-dir': Text, 'no-progress': Flag })
      .refine((v) => v.server === undefined || v['data-dir'] === undefined, {
        error: '--data-dir and --server exclude each other: with --server the workflow runs on the server, into its store',
      }),
  })
  .transform(({ positionals, values }, ctx) => {
    const range = rangeOf(values, ctx);
    return { symbols: [...new Set(positionals)], type: values.type, range, server: values.server, dataDir: values['data-dir'], progress: !values['no-progress'] };
  });
type BackfillArgs = z.output<typeof BackfillArgs>;

/** `streamforge backfill`: runs one workflow per symbol in this process (or on `--server`) and follows them to their end. */
export const backfillCommand = defineCommand({
  name: 'backfill',
  usage: BACKFILL_USAGE,
  options: {
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-progress': { type: 'boolean' },
  },
  schema: BackfillArgs,
  async run(args, io) {
    const config = loadConfig({ STREAMFORGE_DATA_DIR: args.dataDir, ROLE: 'all' }, io.env, ONE_SHOT_DEFAULTS);
    // Loaded here, not at the top: `streamforge --help` and the other commands do without them.
    const { createRuntime } = await import('../runtime.ts');
    if (args.server !== undefined) {
      const { ServerApiClient } = await import('./server-api-client.ts');
      // Only the clock and the retry policies of a runtime: the work happens on the server.
      const runtime = createRuntime(config, {}, { manager: false });
      return follow(io, args, new ServerApiClient(args.server, config.STREAMFORGE_API_TOKEN), runtime, () => runtime.close());
    }
    const { LocalManager } = await import('../manager/index.ts');
    const runtime = createRuntime(config);
    if (runtime.manager === undefined) throw new Error('the runtime of role all hosts no manager');
    return follow(io, args, new LocalManager(runtime.manager, runtime.store), runtime, () => runtime.close());
  },
});

/** Starts the workflows, then follows them until they end or a signal stops them; closes with `close`. */
async function follow(
  io: CliIo,
  args: BackfillArgs,
  manager: WorkflowManager,
  runtime: { readonly clock: Clock; readonly policies: RetryPolicies },
  close: () => Promise<void>,
): Promise<number> {
  const { ProgressDisplay } = await import('./progress-display.ts');
  const { retry } = await import('../../actors/index.ts');
  const { clock, policies } = runtime;
  let started: Workflow[];
  try {
    started = await startAll(io, args, manager);
  } catch (err) {
    await close();
    throw err;
  }
  const progress = new ProgressDisplay(io, { enabled: args.progress, now: () => clock.now() });
  // A read that fails (a server restarting) is tried again within the `serverPoll` policy.
  const read = (wf: Workflow) => retry(async () => (await manager.get(wf.queue_id)) ?? wf, policies.serverPoll, { clock });
  const ended = (async () => {
    let workflows = started;
    for (;;) {
      workflows = await Promise.all(workflows.map(read));
      progress.update(workflows.map(workflowProgress));
      if (workflows.every((wf) => TERMINAL_STATUSES.has(wf.status))) break;
      await clock.sleep(POLL_MS);
    }
    progress.finish();
    return report(io, workflows, progress);
  })();
  return hostUntilSignal({
    ended,
    async onSignal() {
      writeLine(io.err, 'stopping…');
      // Each stage says `interrupted`, the workflows end `stopped`: followed to that end.
      await Promise.all(started.map((wf) => manager.stop(wf.queue_id).catch((err: unknown) => writeLine(io.err, `could not stop ${wf.queue_id}: ${(err as Error).message}`))));
      return ended;
    },
    close,
  });
}

async function startAll(io: CliIo, args: BackfillArgs, manager: WorkflowManager): Promise<Workflow[]> {
  const started: Workflow[] = [];
  for (const symbol of args.symbols) {
    const wf = await manager.create({ symbol, type: args.type, range: args.range satisfies TimeRange });
    writeLine(io.err, `started ${wf.queue_id}${args.server !== undefined ? ` on ${manager.where}` : ''}`);
    started.push(wf);
  }
  return started;
}

/** One line per workflow: what it stored, or why it ended; exit 0 only when every one completed. */
function report(io: CliIo, workflows: readonly Workflow[], progress: ProgressDisplay): number {
  const seconds = progress.elapsedSeconds();
  for (const wf of workflows) {
    if (wf.status === 'completed') {
      const { done, unit } = workflowCount(wf);
      const rate = seconds > 0 ? Math.round(done / seconds) : done;
      writeLine(io.out, `completed ${wf.queue_id}: ${done} ${unit} in ${seconds.toFixed(1)}s (${rate}/s) into ${wf.collection_name}`);
    } else {
      writeLine(io.err, `${wf.status} ${wf.queue_id}${wf.error ? `: ${wf.error.message} [${wf.error.code}]` : ''}`);
    }
  }
  return workflows.every((wf) => wf.status === 'completed') ? 0 : 1;
}
