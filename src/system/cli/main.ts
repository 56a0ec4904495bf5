import { readFileSync } from 'node:fs';
import { StreamForgeError, ErrorCodes } from '../../protocol/index.ts';
import { LogFormats, LogLevels } from '../config/index.ts';
import { backfillCommand } from './backfill-command.ts';
import { candlesCommand } from './candles-command.ts';
import { demoCommand } from './demo-command.ts';
import type { CliCommand } from './command.ts';
import { gapsCommand } from './gaps-command.ts';
import { graphCommand } from './graph-command.ts';
import { indicatorsCommand } from './indicators-command.ts';
import { modelsCommand } from './models-command.ts';
import { predictCommand } from './predict-command.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { pingCommand } from './ping-command.ts';
import { recordsCommand } from './records-command.ts';
import { replayCommand } from './replay-command.ts';
import { schemasCommand } from './schemas-command.ts';
import { serveCommand } from './serve-command.ts';
import { simulateCommand } from './simulate-command.ts';
import { stopCommand } from './stop-command.ts';
import { trainCommand } from './train-command.ts';
import { UsageError } from './usage-error.ts';

/**
 * Every command, by name: the help lists them in this order. A command is a `{ usage, run(argv, io) }`
 * ({@link CliCommand}): a typed one made with `defineCommand`, or any object of that shape.
 */
export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  backfill: backfillCommand,
  candles: candlesCommand,
  records: recordsCommand,
  gaps: gapsCommand,
  replay: replayCommand,
  serve: serveCommand,
  ping: pingCommand,
  stop: stopCommand,
  indicators: indicatorsCommand,
  graph: graphCommand,
  train: trainCommand,
  models: modelsCommand,
  predict: predictCommand,
  simulate: simulateCommand,
  demo: demoCommand,
  schemas: schemasCommand,
};

/** Options every command takes, before or after its name; they reach the command as its environment (`LOG_FORMAT`, `LOG_LEVEL`). */
const GLOBAL_OPTIONS = {
  '--log-format': { env: 'LOG_FORMAT', accepted: LogFormats },
  '--log-level': { env: 'LOG_LEVEL', accepted: LogLevels },
} as const satisfies Record<string, { env: string; accepted: readonly string[] }>;

const GLOBAL_USAGE = `Options of every command:
  --log-format auto|human|json   log lines for people (the default on a terminal) or JSON (elsewhere); also LOG_FORMAT
  --log-level LEVEL              ${LogLevels.join(' ')} (serve: info, other commands: warn); also LOG_LEVEL;
                                 error stacks are printed at debug and trace only
  --help                         a command's own usage`;

/** `streamforge --help`: each command's synopsis, from its usage. */
export function mainUsage(commands: Readonly<Record<string, CliCommand>> = COMMANDS): string {
  const synopses = Object.values(commands).flatMap((c) =>
    c.usage
      .split('\n')
      .filter((line) => /^(Usage: |\s+)streamforge /.test(line))
      .map((line) => `  ${line.replace(/^(Usage: |\s+)streamforge /, '')}`),
  );
  return `streamforge — crypto market-data workflows on an actor runtime

Commands:
${synopses.join('\n')}

${GLOBAL_USAGE}`;
}

/** The CLI entry: returns the exit code (0 ok, 1 failure, 2 usage error); never ends on a bare stack trace. */
export async function main(
  argv: readonly string[],
  io: CliIo = { out: process.stdout, err: process.stderr, env: process.env },
  commands: Readonly<Record<string, CliCommand>> = COMMANDS,
): Promise<number> {
  let args: readonly string[];
  let env: CliIo['env'];
  try {
    ({ args, env } = globalOptions(argv, io.env));
  } catch (err) {
    writeLine(io.err, `streamforge: ${(err as Error).message}\n\n${GLOBAL_USAGE}`);
    return 2;
  }
  const commandIo: CliIo = { ...io, env };
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    writeLine(name === undefined ? io.err : io.out, mainUsage(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    writeLine(io.out, pkg.version);
    return 0;
  }
  const helpFor = name === 'help' ? rest[0] : undefined;
  const command = Object.hasOwn(commands, helpFor ?? name) ? commands[helpFor ?? name] : undefined;
  if (!command) {
    writeLine(io.err, `streamforge: unknown command ${JSON.stringify(helpFor ?? name)}; accepted: ${Object.keys(commands).join(' ')}\n\n${mainUsage(commands)}`);
    return 2;
  }
  if (helpFor !== undefined || rest.includes('--help') || rest.includes('-h')) {
    writeLine(io.out, command.usage);
    return 0;
  }
  try {
    return await command.run(rest, commandIo);
  } catch (err) {
    return failed(name, command, err, commandIo);
  }
}

/** Says what went wrong in one line (two with the usage for bad input), the stack only at debug. */
function failed(name: string, command: CliCommand, err: unknown, io: CliIo): number {
  if (err instanceof UsageError || (err instanceof StreamForgeError && (err.code === ErrorCodes.USAGE || err.code === ErrorCodes.CONFIG_INVALID || err.code === ErrorCodes.VALIDATION))) {
    writeLine(io.err, `streamforge ${name}: ${err.message}\n\n${command.usage}`);
    return 2;
  }
  const code = err instanceof StreamForgeError ? ` [${err.code}]` : '';
  writeLine(io.err, `streamforge ${name}: ${err instanceof Error ? err.message : String(err)}${code}`);
  const level = io.env['LOG_LEVEL'];
  if ((level === 'debug' || level === 'trace') && err instanceof Error && err.stack) writeLine(io.err, err.stack);
  return 1;
}

/** Takes the global options out of the arguments, into the environment the command reads. */
function globalOptions(argv: readonly string[], env: CliIo['env']): { args: string[]; env: CliIo['env'] } {
  const args: string[] = [];
  const set: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    // After `--` everything is the command's.
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const option = Object.hasOwn(GLOBAL_OPTIONS, flag) ? GLOBAL_OPTIONS[flag as keyof typeof GLOBAL_OPTIONS] : undefined;
    if (option === undefined) {
      args.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || !(option.accepted as readonly string[]).includes(value)) {
      throw new UsageError(`invalid ${flag} ${value === undefined ? '(no value)' : JSON.stringify(value)}; accepted: ${option.accepted.join(' ')}`);
    }
    set[option.env] = value;
  }
  return { args, env: { ...env, ...set } };
}
