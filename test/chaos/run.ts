// `npm run chaos [-- --profile short|full] [--json FILE] [--only name,name]`: runs the chaos
// experiments against real deployments on this machine and prints what was lost (see issue 14).
import { writeFile } from 'node:fs/promises';
import { pino } from 'pino';
import { parseChaosArgs, ChaosUsageError } from './chaos-args.ts';
import { stopChaosKafka } from './chaos-kafka.ts';
import { runChaos } from './chaos-runner.ts';
import { formatTable } from './chaos-table.ts';
import { progressLogStream } from './progress-log-stream.ts';
import { experiments } from './experiments/index.ts';

const EXIT_USAGE = 2;
const EXIT_FAILED = 1;

async function main(): Promise<number> {
  const names = experiments.map((e) => e.name);
  let args;
  try {
    args = parseChaosArgs(process.argv.slice(2), names);
  } catch (err) {
    if (!(err instanceof ChaosUsageError)) throw err;
    process.stderr.write(`chaos: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const controller = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted !== undefined) {
      process.stderr.write(`chaos: ${signal} again: exiting without waiting for teardown\n`);
      process.exit(130);
    }
    interrupted = signal;
    process.stderr.write(`chaos: ${signal}: stopping the running experiment and tearing down (again to exit at once)\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = (line: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const log = pino({ level: process.env['CHAOS_LOG_LEVEL'] ?? 'info' }, progressLogStream(progress));
  const selected = args.only ? experiments.filter((e) => args.only?.includes(e.name)) : experiments;
  progress(`profile ${args.profile}: ${selected.map((e) => e.name).join(', ')}`);
  let report;
  try {
    report = await runChaos({ profile: args.profile, experiments: selected, signal: controller.signal, log, progress });
  } finally {
    await stopChaosKafka();
  }
  process.stdout.write(`\n${formatTable(report.experiments)}\n`);
  if (args.json !== undefined) {
    await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
    progress(`wrote ${args.json}`);
  }
  if (interrupted !== undefined) return interrupted === 'SIGINT' ? 130 : 143;
  return report.experiments.some((r) => r.verdict === 'fail') ? EXIT_FAILED : 0;
}

// Every experiment has torn its deployment down by now: a handle some client library left open must
// not keep the command (and CI) waiting.
process.exit(await main());
