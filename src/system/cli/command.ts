import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import type { CliIo } from './cli-io.ts';
import { UsageError } from './usage-error.ts';

/**
 * What `main`'s command table holds: the help text, whose first line (`Usage: streamforge <name> …`)
 * is what `streamforge --help` lists, and the run (exit code 0 ok, 1 failure, 2 usage error; a thrown
 * {@link UsageError} is printed with the usage and exits 2).
 */
export interface CliCommand {
  readonly usage: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** parseArgs' option table: each flag's name and kind (`string` or `boolean`). */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs read, before the schema checks it. */
export interface ParsedArgv {
  readonly values: Readonly<Record<string, string | boolean | ReadonlyArray<string | boolean> | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * A command with typed arguments: the flags parseArgs reads (strictly: an unknown flag is a usage
 * error), then a zod schema that checks what it read, all at once, and shapes it into what `run` gets.
 */
export interface CommandDefinition<S extends z.ZodType<unknown, ParsedArgv>> {
  readonly name: string;
  readonly usage: string;
  readonly options: CliOptions;
  readonly schema: S;
  run(args: z.output<S>, io: CliIo): Promise<number>;
}

export interface TypedCommand<S extends z.ZodType<unknown, ParsedArgv>> extends CliCommand {
  readonly name: string;
  /** The argument vector as `run` gets it; throws a {@link UsageError} naming every problem. */
  parse(argv: readonly string[]): z.output<S>;
}

/** A {@link CliCommand} from a {@link CommandDefinition}. */
export function defineCommand<S extends z.ZodType<unknown, ParsedArgv>>(definition: CommandDefinition<S>): TypedCommand<S> {
  const parse = (argv: readonly string[]): z.output<S> => {
    let read: ParsedArgv;
    try {
      read = parseArgs({ args: [...argv], options: definition.options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message, { cause: err });
    }
    const checked = definition.schema.safeParse(read);
    if (!checked.success) throw new UsageError(checked.error.issues.map(describeIssue).join('; '), { cause: checked.error });
    return checked.data;
  };
  return {
    name: definition.name,
    usage: definition.usage,
    parse,
    run: (argv, io) => definition.run(parse(argv), io),
  };
}

/** An issue in the CLI's words: schemas word their own messages; a generic one gets the flag it is about. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const [where, name] = issue.path;
  if (where !== 'values' || typeof name !== 'string' || issue.message.includes(`--${name}`)) return issue.message;
  return `invalid --${name}: ${issue.message}`;
}
