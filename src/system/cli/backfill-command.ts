import { setTimeout as delay } from 'node:timers/promises';
import { parseStreamType, TERMINAL_STATUSES, Targets } from '../../protocol/index.ts';
import type { Workflow } from '../../protocol/index.ts';
import { WorkflowRegistry } from '../../actors/index.ts';
import { loadConfig } from '../config/index.ts';
import { ManagerClient } from '../http/manager-client.ts';
import { createRuntime } from '../runtime.ts';
import type { RuntimeOverrides } from '../runtime.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { parseCli, requireRange, requireSymbol, requireType } from './cli-args.ts';
import { ManagerHttpClient } from './manager-http-client.ts';
import { ProgressReporter } from './progress-reporter.ts';

export const BACKFILL_USAGE = `Usage: streamforge backfill <SYMBOL> --type <type> --from <date|ISO> --to <date|ISO> [--server URL] [--data-dir DIR] [--no-progress]
  Loads [from, to) (UTC, half-open) into the store. Exit 0 completed, 1 failed or stopped, 2 usage error.
  Types: api_candles_<interval>, api_trades (REST history); archive_candles_<interval>, archive_trades (bulk
  archive, recent tail over REST); ws_candles_<interval>, ws_trades, ws_aggtrades, ws_depth (live until --to,
  the past part over REST, disconnects repaired over REST).`;

/** `streamforge backfill`: runs a workflow in this process (or on `--server`) and follows it to the end. */
export async function backfillCommand(argv: readonly string[], io: CliIo, overrides: RuntimeOverrides = {}): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-progress': { type: 'boolean' },
  });
  const symbol = requireSymbol(positionals[0]);
  const type = requireType(values.type);
  const range = requireRange(values.from, values.to);
  const progress = new ProgressReporter(io, values['no-progress'] !== true);

  if (values.server) {
    const client = new ManagerHttpClient(values.server, io.env.STREAMFORGE_API_TOKEN);
    const created = await client.createQueue({ symbol, type, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString() });
    writeLine(io.err, `submitted ${created.queue_id} to ${values.server}`);
    return withStopOnSignal(io, () => client.stopQueue(created.queue_id), () =>
      follow(io, progress, () => retrying(() => client.getQueue(created.queue_id))),
    );
  }

  const config = loadConfig({ STREAMFORGE_DATA_DIR: values['data-dir'], ROLE: 'all' }, io.env, { LOG_LEVEL: 'warn' });
  const runtime = createRuntime(config, overrides);
  const registry = new WorkflowRegistry(runtime.store);
  try {
    if (!runtime.manager) throw new Error('no manager in this runtime');
    const manager = new ManagerClient(runtime.manager);
    const created = await manager.create({ symbol, type, range });
    writeLine(io.err, `started ${created.queue_id}`);
    return await withStopOnSignal(io, () => manager.stop(created.queue_id), () =>
      follow(io, progress, async () => (await registry.get(created.queue_id)) ?? created),
    );
  } finally {
    await runtime.close();
  }
}

/** Ctrl-C (or SIGTERM) stops the workflow, locally or on the server, and the follow loop reports it ending. */
async function withStopOnSignal(io: CliIo, stop: () => Promise<unknown>, run: () => Promise<number>): Promise<number> {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    writeLine(io.err, '\nstopping…');
    stop().catch((err: unknown) => writeLine(io.err, `could not stop: ${(err as Error).message}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A poll that failed once is tried again a few times before the command gives up. */
async function retrying<T>(read: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await read();
    } catch (err) {
      if (i >= attempts) throw err;
      await delay(500 * i);
    }
  }
}

async function follow(io: CliIo, progress: ProgressReporter, read: () => Promise<Workflow>): Promise<number> {
  for (;;) {
    const wf = await read();
    progress.update(wf);
    if (TERMINAL_STATUSES.has(wf.status)) {
      progress.finish();
      return report(io, wf, progress.elapsedSeconds());
    }
    await delay(200);
  }
}

function report(io: CliIo, wf: Workflow, seconds: number): number {
  const records = wf.stages[Targets.connector]?.records ?? 0;
  if (wf.status === 'completed') {
    const rate = seconds > 0 ? Math.round(records / seconds) : records;
    writeLine(io.out, `completed ${wf.queue_id}: ${records} ${recordNoun(wf.type)} in ${seconds.toFixed(1)}s (${rate}/s) into ${wf.collection_name}`);
    return 0;
  }
  const why = wf.error ? `: ${wf.error.message} [${wf.error.code}]` : '';
  writeLine(io.err, `${wf.status} ${wf.queue_id}${why}`);
  return 1;
}

function recordNoun(type: string): string {
  const parsed = parseStreamType(type);
  switch (parsed?.record) {
    case 'candle':
      return 'candles';
    case 'agg_trade':
      return 'aggregate trades';
    case 'trade':
      return 'trades';
    case 'depth':
      return 'depth records';
    case undefined:
      return 'records';
  }
}
