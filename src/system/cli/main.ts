import { readFileSync } from 'node:fs';
import { StreamForgeError, ErrorCodes } from '../../protocol/index.ts';
import { BACKFILL_USAGE, backfillCommand } from './backfill-command.ts';
import { CANDLES_USAGE, candlesCommand } from './candles-command.ts';
import { GAPS_USAGE, gapsCommand } from './gaps-command.ts';
import { graphCommand } from './graph-command.ts';
import { indicatorsCommand } from './indicators-command.ts';
import { modelsCommand } from './models-command.ts';
import { predictCommand } from './predict-command.ts';
import { RECORDS_USAGE, recordsCommand } from './records-command.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { schemasCommand } from './schemas-command.ts';
import { PING_USAGE, pingCommand, STOP_USAGE, stopCommand } from './control-commands.ts';
import { SERVE_USAGE, serveCommand } from './serve-command.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `streamforge — crypto market-data workflows on an actor runtime

Commands:
  backfill <SYMBOL> --type api_candles_<interval> --from <date|ISO> --to <date|ISO>
  candles <SYMBOL> --interval <i> --from <date|ISO> --to <date|ISO> [--format csv|json]
  gaps <SYMBOL> --type <type> --from <date|ISO> --to <date|ISO> [--repair] [--json]
  records <SYMBOL> --type <type> --from <date|ISO> --to <date|ISO> [--format csv|json]
  serve [--role all|manager|loader|connector|dummy] [--port 8080]
  ping --queue-id X [--expect-pong] [--repeat N]
  stop --queue-id X
  schemas [--out DIR]

${BACKFILL_USAGE}

${CANDLES_USAGE}

${GAPS_USAGE}

${RECORDS_USAGE}

${SERVE_USAGE}`;

const COMMANDS: Readonly<Record<string, { run: (argv: readonly string[], io: CliIo) => Promise<number>; usage: string }>> = {
  backfill: { run: backfillCommand, usage: BACKFILL_USAGE },
  candles: { run: candlesCommand, usage: CANDLES_USAGE },
  gaps: { run: gapsCommand, usage: GAPS_USAGE },
  records: { run: recordsCommand, usage: RECORDS_USAGE },
  serve: { run: serveCommand, usage: SERVE_USAGE },
  schemas: { run: schemasCommand, usage: 'Usage: streamforge schemas [--out DIR]' },
  ping: { run: pingCommand, usage: PING_USAGE },
  stop: { run: stopCommand, usage: STOP_USAGE },
  indicators: indicatorsCommand,
  graph: graphCommand,
  models: modelsCommand,
  predict: predictCommand,
};

/** The CLI entry: returns the exit code (0 ok, 1 failure, 2 usage error); never ends on a bare stack trace. */
export async function main(argv: readonly string[], io: CliIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    writeLine(name === undefined ? io.err : io.out, USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    writeLine(io.out, pkg.version);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    writeLine(io.err, `streamforge: unknown command ${JSON.stringify(name)}; accepted: ${Object.keys(COMMANDS).join(' ')}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLine(io.out, command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof StreamForgeError && (err.code === ErrorCodes.USAGE || err.code === ErrorCodes.CONFIG_INVALID || err.code === ErrorCodes.VALIDATION))) {
      writeLine(io.err, `streamforge ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    const code = err instanceof StreamForgeError ? ` [${err.code}]` : '';
    writeLine(io.err, `streamforge ${name}: ${(err as Error).message ?? String(err)}${code}`);
    if (io.env.LOG_LEVEL === 'debug' && err instanceof Error && err.stack) writeLine(io.err, err.stack);
    return 1;
  }
}
