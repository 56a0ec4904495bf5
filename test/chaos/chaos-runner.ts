import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ChaosExperiment, ChaosProfile, ChaosRow } from './chaos-experiment.ts';
import { failedRow, rowOf } from './chaos-table.ts';
import type { ChaosReport } from './chaos-table.ts';

export interface ChaosRunOptions {
  readonly profile: ChaosProfile;
  readonly experiments: readonly ChaosExperiment[];
  /** Aborted on SIGINT/SIGTERM: the running experiment tears down, the rest are skipped. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Progress lines (one per call, without newline). */
  readonly progress: (line: string) => void;
  /** Where experiments get their work directories. @defaultValue the OS temp dir */
  readonly tmpDir?: string;
}

/**
 * Runs the experiments one after another, each in a fresh work directory it is given and that is
 * removed afterwards. An experiment that throws is a `fail` row with its error in the progress.
 */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosReport> {
  const started = new Date().toISOString();
  const rows: ChaosRow[] = [];
  for (const experiment of options.experiments) {
    if (options.signal.aborted) {
      options.progress(`${experiment.name}: skipped (interrupted)`);
      continue;
    }
    rows.push(await runOne(experiment, options));
  }
  return { profile: options.profile, started, experiments: rows };
}

async function runOne(experiment: ChaosExperiment, options: ChaosRunOptions): Promise<ChaosRow> {
  const { name } = experiment;
  const counterpart = 'manifest' in experiment.chaosMesh ? `k8s/chaos/${experiment.chaosMesh.manifest}` : `no Chaos Mesh counterpart: ${experiment.chaosMesh.none}`;
  options.progress(`${name}: starting (profile ${options.profile}; ${counterpart})`);
  const t0 = Date.now();
  const workDir = await mkdtemp(join(options.tmpDir ?? tmpdir(), `streamforge-chaos-${name}-`));
  try {
    const measured = await experiment.run({ profile: options.profile, signal: options.signal, log: options.log.child({ experiment: name }), workDir });
    const row = rowOf(name, measured);
    const failedChecks = measured.checks.filter((c) => !c.ok);
    for (const c of measured.checks) options.progress(`${name}: check ${c.name}: ${c.ok ? 'ok' : 'FAILED'}${c.detail ? ` (${c.detail})` : ''}`);
    options.progress(
      `${name}: ${row.verdict} in ${seconds(t0)}: ${row.faults} faults, ${row.stored}/${row.expected} stored, ${row.missing} missing, ${row.duplicated} duplicated` +
        (failedChecks.length > 0 ? `, failed checks: ${failedChecks.map((c) => c.name).join(', ')}` : ''),
    );
    return row;
  } catch (err) {
    options.progress(`${name}: fail in ${seconds(t0)}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return failedRow(name);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function seconds(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}
