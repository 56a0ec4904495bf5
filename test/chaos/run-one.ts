// Runs one or more of this branch's chaos experiments without the runner, printing each measurement
// and its verdict: `node test/chaos/run-one.ts network|broker-loss [--profile short|full]`.
// Exits 1 when a verdict is `fail`; Ctrl-C aborts the experiment, which stops what it started.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { CHAOS_PROFILES, verdictOf } from './chaos-experiment.ts';
import type { ChaosExperiment, ChaosProfile } from './chaos-experiment.ts';
import { brokerLoss } from './experiments/broker-loss.ts';
import { network } from './experiments/network.ts';

const EXPERIMENTS: readonly ChaosExperiment[] = [network, brokerLoss];

const { values, positionals } = parseArgs({ allowPositionals: true, options: { profile: { type: 'string', default: 'short' } } });
const profile = values.profile as ChaosProfile;
if (!CHAOS_PROFILES.includes(profile)) throw new Error(`--profile must be one of ${CHAOS_PROFILES.join(', ')}, got ${values.profile}`);
const chosen = positionals.length === 0 ? EXPERIMENTS : positionals.map((name) => {
  const found = EXPERIMENTS.find((e) => e.name === name);
  if (!found) throw new Error(`unknown experiment ${name}; these run here: ${EXPERIMENTS.map((e) => e.name).join(', ')}`);
  return found;
});

const controller = new AbortController();
for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => controller.abort(new Error(`${s} received`)));
const log = pino({ level: process.env['CHAOS_LOG_LEVEL'] ?? 'info' });
let failed = false;
for (const experiment of chosen) {
  const workDir = await mkdtemp(join(tmpdir(), `chaos-${experiment.name}-`));
  const started = Date.now();
  try {
    const m = await experiment.run({ profile, signal: controller.signal, log: log.child({ experiment: experiment.name }), workDir });
    const sorted = [...m.recoveryMs].sort((a, b) => a - b);
    const verdict = verdictOf(m);
    failed ||= verdict === 'fail';
    process.stdout.write(`${JSON.stringify({
      name: experiment.name, profile, seconds: Math.round((Date.now() - started) / 1000), faults: m.faults, workflows: m.workflows,
      expected: m.expected, stored: m.stored, missing: m.missing, duplicated: m.duplicated,
      recovery_ms_p50: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null, recovery_ms_max: sorted.at(-1) ?? null,
      recovery_ms: m.recoveryMs, restarts: m.restarts, checks: m.checks, verdict,
    }, null, 1)}\n`);
  } catch (err) {
    failed = true;
    log.error({ err }, `${experiment.name} failed to run`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  if (controller.signal.aborted) break;
}
process.exitCode = failed ? 1 : 0;
