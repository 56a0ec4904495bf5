import { readFileSync } from 'node:fs';
import { TelemetryEvent, targetOf } from '../../../src/protocol/index.ts';
import type { StageRole, Workflow } from '../../../src/protocol/index.ts';
import type { Subscription } from '../../../src/actors/index.ts';
import { isAlive, stageProcesses } from '../../helpers/stage-processes.ts';
import type { StageProcess } from '../../helpers/stage-processes.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import type { ChaosContext, ChaosExperiment, ChaosMeasurement } from '../chaos-experiment.ts';
import { startChaosDeployment } from '../chaos-deployment.ts';
import type { ChaosDeployment } from '../chaos-deployment.ts';
import { measureOutcome } from '../chaos-outcome.ts';
import { RecoveryClock } from '../recovery-clock.ts';
import { MIX_SIZES, abortableDelay, startWorkflowMix } from '../workflow-mix.ts';

/**
 * The supervisor's stall timeout under this experiment (the default is 2 minutes). It also runs from
 * a stage's launch to its first telemetry, so it must exceed a stage process's start on a busy
 * machine (up to 15 s here when other work loads the 2 cores), or every launch is relaunched before it says anything.
 */
const STALL_TIMEOUT_MS = 20_000;
/** Which stage of which workflow of the mix to freeze, in turn: the live stream's, which have work for as long as it runs. */
const STALLS: Readonly<Record<'short' | 'full', readonly { readonly type: string; readonly role: StageRole }[]>> = {
  short: [{ type: 'ws_aggtrades', role: 'loader' }],
  full: [
    { type: 'ws_aggtrades', role: 'loader' },
    { type: 'ws_aggtrades', role: 'connector' },
    { type: 'ws_aggtrades', role: 'loader' },
  ],
};
/** The live stream outlasts the stalls: each takes up to a stall timeout and a relaunch. */
const LIVE_MS = { short: 60_000, full: 180_000 } as const;
/** How long the woken stage is watched for writes after SIGCONT. */
const AWAKE_WATCH_MS = 3_000;

type Check = ChaosMeasurement['checks'][number];

/** The generation a stage process was launched with (its STAGE_GENERATION), if it has one. */
function generationOf(pid: number): number | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((kv) => kv.startsWith('STAGE_GENERATION='));
    return entry === undefined ? undefined : Number(entry.slice('STAGE_GENERATION='.length));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * SIGSTOP a stage process with work to do: its supervisor must see it stalled and relaunch it; the
 * frozen one is then resumed (SIGCONT) and must change nothing once its replacement runs: it is
 * either killed by the launcher first, or what it says is fenced off by its older generation.
 */
export const stall: ChaosExperiment = {
  name: 'stall',
  chaosMesh: { none: 'Chaos Mesh has no fault that freezes a process (SIGSTOP) and later resumes it; pod-kill and network partitions are the nearest, covered by stage-kill and network' },
  async run(ctx: ChaosContext): Promise<ChaosMeasurement> {
    const dep = await startChaosDeployment(ctx, { simulator: { latencyMs: 60 }, env: { STALL_TIMEOUT_MS: String(STALL_TIMEOUT_MS) } });
    const events: TelemetryEvent[] = [];
    let tape: Subscription | undefined;
    try {
      await dep.rt.runtime.bus.ensureTopics([{ name: dep.rt.runtime.config.QUEUE_EVENTS_TOPIC }]);
      tape = await dep.rt.runtime.bus.subscribe({
        groupId: `chaos-stall-tape-${Date.now()}`,
        topics: [dep.rt.runtime.config.QUEUE_EVENTS_TOPIC],
        fromBeginning: true,
        handler: (batch) => {
          for (const m of batch) {
            const parsed = TelemetryEvent.safeParse(JSON.parse(m.value));
            if (parsed.success) events.push(parsed.data);
          }
          return Promise.resolve();
        },
        onError: (err) => ctx.log.error({ err }, 'telemetry tape stopped'),
      });
      const workflows = await startWorkflowMix(dep.rt.manager, { ...MIX_SIZES[ctx.profile], liveMs: LIVE_MS[ctx.profile] });
      const recovery = new RecoveryClock(dep.rt.runtime.store, dep.rt.registry);
      const checks: Check[] = [];
      let stalls = 0;
      for (const target of STALLS[ctx.profile]) {
        if (ctx.signal.aborted) break;
        const wf = workflows.find((w) => w.type === target.type);
        if (wf === undefined) continue;
        const result = await stallOnce(ctx, dep, wf, target.role, recovery, events);
        if (result === undefined) continue;
        stalls++;
        checks.push(...result);
      }
      if (stalls === 0) checks.push({ name: 'a stage was stalled', ok: false, detail: 'no stage with work was found to freeze' });
      return await measureOutcome(ctx, { store: dep.rt.runtime.store, registry: dep.rt.registry }, workflows, { faults: stalls, recovery, checks, settleMs: ctx.profile === 'short' ? 60_000 : 240_000 });
    } finally {
      await tape?.close().catch((err: unknown) => ctx.log.warn({ err }, 'telemetry tape not closed'));
      await dep.close();
    }
  },
};

/** Freezes one stage, waits for its relaunch, wakes it, and checks it changed nothing. Undefined when the stage had already ended. */
async function stallOnce(ctx: ChaosContext, dep: ChaosDeployment, wf: Workflow, role: StageRole, recovery: RecoveryClock, events: readonly TelemetryEvent[]): Promise<Check[] | undefined> {
  const target = targetOf(role);
  const stageRecords = async () => (await dep.rt.registry.get(wf.queue_id))?.stages[target]?.records ?? 0;
  // Frozen once it has made progress, so it has work and telemetry to go silent on.
  const frozen = await waitFor(`${role} of ${wf.type} to make progress`, async () => {
    const p = stageProcesses().find((s) => s.queueId === wf.queue_id && s.role === role);
    return p !== undefined && (await stageRecords()) > 0 ? p : undefined;
  }, 45_000, 100).catch(() => undefined);
  if (frozen === undefined || ctx.signal.aborted) return undefined;
  const oldGeneration = generationOf(frozen.pid);
  const stoppedAt = Date.now();
  process.kill(frozen.pid, 'SIGSTOP');
  await recovery.fault(wf, stoppedAt, role);
  ctx.log.info({ role, workflow: `${wf.symbol} ${wf.type}`, pid: frozen.pid, generation: oldGeneration }, 'SIGSTOP');

  const replacement = await waitFor('the stalled stage to be relaunched', () =>
    stageProcesses().find((p: StageProcess) => p.queueId === wf.queue_id && p.role === role && p.pid !== frozen.pid),
  STALL_TIMEOUT_MS * 2 + 15_000, 50).catch(() => undefined);
  if (replacement === undefined) {
    if (isAlive(frozen.pid)) process.kill(frozen.pid, 'SIGCONT');
    return [{ name: `stalled ${role} relaunched`, ok: false, detail: `no replacement within ${STALL_TIMEOUT_MS * 2 + 15_000} ms` }];
  }
  const relaunchedMs = Date.now() - stoppedAt;
  const newGeneration = generationOf(replacement.pid);
  const eventsBefore = events.length;
  const aliveAtWake = isAlive(frozen.pid);
  if (aliveAtWake) process.kill(frozen.pid, 'SIGCONT');
  ctx.log.info({ role, relaunched_after_ms: relaunchedMs, pid: replacement.pid, generation: newGeneration, old_alive: aliveAtWake }, 'relaunched; SIGCONT to the frozen one');
  await abortableDelay(AWAKE_WATCH_MS, ctx.signal);

  const producer = (await dep.rt.registry.get(wf.queue_id))?.stages[target]?.telemetry_id;
  const staleAfter = events.slice(eventsBefore).filter((e) => e.producer === producer && e.generation !== undefined && oldGeneration !== undefined && e.generation <= oldGeneration);
  const stage = (await dep.rt.registry.get(wf.queue_id))?.stages[target];
  const untouched = stage?.status !== 'stopped' && stage?.status !== 'failed';
  return [
    { name: `stalled ${role} relaunched`, ok: true, detail: `after ${relaunchedMs} ms (stall timeout ${STALL_TIMEOUT_MS} ms)` },
    {
      name: `woken ${role} fenced after its replacement started`,
      ok: newGeneration !== undefined && oldGeneration !== undefined && newGeneration > oldGeneration && untouched,
      detail:
        `generation ${oldGeneration} → ${newGeneration}; ${aliveAtWake ? 'woken alive' : 'already killed by the launcher'}; ` +
        `${staleAfter.length} telemetry events of the old launch after the relaunch (${[...new Set(staleAfter.map((e) => e.status))].join(', ') || 'none'}), fenced; stage status ${stage?.status}`,
    },
  ];
}
