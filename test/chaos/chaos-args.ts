import { CHAOS_PROFILES } from './chaos-experiment.ts';
import type { ChaosProfile } from './chaos-experiment.ts';

/** What `npm run chaos -- …` was asked for. */
export interface ChaosArgs {
  readonly profile: ChaosProfile;
  /** Where to write the JSON report, if anywhere. */
  readonly json: string | undefined;
  /** Experiments to run, in registry order; undefined runs them all. */
  readonly only: readonly string[] | undefined;
}

export const CHAOS_USAGE = 'usage: npm run chaos [-- --profile short|full] [--json FILE] [--only name,name]';

/** A command line the runner cannot run: it exits 2 with this message and the usage. */
export class ChaosUsageError extends Error {
  override readonly name = 'ChaosUsageError';
}

/**
 * Parses the runner's arguments (`--flag value` or `--flag=value`). `known` are the experiment names
 * `--only` accepts. Every problem is reported at once, naming the flag and what it accepts.
 */
export function parseChaosArgs(argv: readonly string[], known: readonly string[]): ChaosArgs {
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag !== '--profile' && flag !== '--json' && flag !== '--only') {
      problems.push(`unknown argument ${JSON.stringify(arg)}: accepted are --profile, --json, --only`);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      problems.push(`${flag} needs a value (${accepted(flag, known)})`);
      if (value?.startsWith('--')) i--;
      continue;
    }
    if (values.has(flag)) problems.push(`${flag} given twice`);
    values.set(flag, value);
  }
  const profile = values.get('--profile') ?? 'short';
  if (!isProfile(profile)) problems.push(`--profile ${JSON.stringify(profile)} is not one of ${CHAOS_PROFILES.join(', ')}`);
  const onlyText = values.get('--only');
  const only = onlyText?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of only ?? []) {
    if (!known.includes(name)) problems.push(`--only: no experiment ${JSON.stringify(name)} (known: ${known.join(', ')})`);
  }
  if (only?.length === 0) problems.push(`--only needs at least one experiment name (known: ${known.join(', ')})`);
  if (problems.length > 0) throw new ChaosUsageError(`${problems.join('\n')}\n${CHAOS_USAGE}`);
  return { profile: profile as ChaosProfile, json: values.get('--json'), only };
}

function isProfile(value: string): value is ChaosProfile {
  return (CHAOS_PROFILES as readonly string[]).includes(value);
}

function accepted(flag: string, known: readonly string[]): string {
  switch (flag) {
    case '--profile':
      return CHAOS_PROFILES.join(' or ');
    case '--json':
      return 'a file path';
    default:
      return `comma-separated names among ${known.join(', ')}`;
  }
}
