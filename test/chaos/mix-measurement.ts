// A settled workflow mix, measured: the oracle check as the runner's measurement.
import type { TestRuntime } from '../helpers/test-runtime.ts';
import type { ChaosMeasurement } from './chaos-experiment.ts';
import { until } from './fault-timing.ts';
import { allTerminal, checkMix, mixState, restartsOf } from './kafka-fault-mix.ts';
import type { MixWorkflow } from './kafka-fault-mix.ts';

/** Waits until every workflow of the mix ended (or the time is up: the check then says which did not). */
export async function settleMix(rt: TestRuntime, mix: readonly MixWorkflow[], signal: AbortSignal, timeoutMs: number): Promise<void> {
  await until(async () => (allTerminal(await mixState(rt.registry, mix)) ? true : undefined), timeoutMs, signal, 250);
}

/** The oracle check of a settled mix, as the runner's measurement. */
export async function measure(
  rt: TestRuntime,
  mix: readonly MixWorkflow[],
  seed: number,
  faults: number,
  recoveryMs: readonly number[],
  checks: { name: string; ok: boolean; detail?: string }[],
): Promise<ChaosMeasurement> {
  const finals = await mixState(rt.registry, mix);
  const result = await checkMix(rt.runtime.store, mix, seed, finals);
  const notCompleted = finals.filter((wf) => wf.status !== 'completed');
  checks.push({
    name: 'every workflow completed',
    ok: notCompleted.length === 0,
    detail: notCompleted.map((wf) => `${wf.queue_id}: ${wf.status} ${wf.error ? JSON.stringify(wf.error) : ''}`).join('; ') || 'all completed',
  });
  checks.push({ name: 'nothing stored outside the oracle', ok: result.extra === 0, detail: `${result.extra} extra records` });
  return {
    faults,
    workflows: mix.length,
    expected: result.expected,
    stored: result.stored,
    missing: result.missing,
    duplicated: result.duplicated,
    recoveryMs,
    restarts: restartsOf(finals),
    checks: checks.concat({ name: 'per workflow', ok: true, detail: result.lines.join(' | ') }),
  };
}

