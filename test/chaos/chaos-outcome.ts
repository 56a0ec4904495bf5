import type { Workflow } from '../../src/protocol/index.ts';
import type { ChaosContext, ChaosMeasurement } from './chaos-experiment.ts';
import type { Store, WorkflowRegistry } from '../../src/actors/index.ts';
import type { RecoveryClock } from './recovery-clock.ts';
import { compareWithOracle, sumComparisons } from './series-oracle.ts';
import { restartsOf, settleAll } from './workflow-mix.ts';

type Check = ChaosMeasurement['checks'][number];

/**
 * Ends an experiment's run: waits for its workflows to end (polling the recovery clock meanwhile),
 * compares every stored series with the simulator's oracle, and returns the measurement with the
 * checks that every workflow completed and nothing outside the oracle was stored.
 */
export async function measureOutcome(
  ctx: ChaosContext,
  dep: { readonly store: Store; readonly registry: WorkflowRegistry },
  workflows: readonly Workflow[],
  m: { readonly faults: number; readonly adoptions?: number; readonly recovery: RecoveryClock; readonly checks?: readonly Check[]; readonly settleMs: number; readonly seed?: number },
): Promise<ChaosMeasurement> {
  const polling = setInterval(() => void m.recovery.poll().catch((err: unknown) => ctx.log.warn({ err }, 'recovery poll failed')), 250);
  let ended: Workflow[];
  try {
    ended = await settleAll(dep.registry, workflows, m.settleMs, ctx.signal);
    await m.recovery.poll();
  } finally {
    clearInterval(polling);
  }
  const nowMs = Date.now();
  const comparisons = await Promise.all(ended.map((wf) => compareWithOracle(dep.store, wf, { nowMs, ...(m.seed !== undefined ? { seed: m.seed } : {}) })));
  ended.forEach((wf, i) => {
    const c = comparisons[i];
    ctx.log.info({ workflow: `${wf.symbol} ${wf.type}`, status: wf.status, expected: c?.expected, stored: c?.stored, missing: c?.missing, first_missing: c?.missingSample }, 'series checked');
  });
  const total = sumComparisons(comparisons);
  const notCompleted = ended.filter((wf) => wf.status !== 'completed');
  return {
    faults: m.faults,
    workflows: ended.length,
    expected: total.expected,
    stored: total.stored,
    missing: total.missing,
    duplicated: total.duplicated,
    recoveryMs: m.recovery.recoveredMs,
    restarts: restartsOf(ended) + (m.adoptions ?? 0),
    checks: [
      {
        name: 'every workflow completed',
        ok: notCompleted.length === 0,
        ...(notCompleted.length > 0 ? { detail: notCompleted.map((wf) => `${wf.type} ${wf.status}${wf.error ? `: ${wf.error.message}` : ''}`).join('; ') } : {}),
      },
      { name: 'nothing stored outside the oracle', ok: total.extra === 0, ...(total.extra > 0 ? { detail: `${total.extra} records` } : {}) },
      ...(m.checks ?? []),
    ],
  };
}
