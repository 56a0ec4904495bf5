import { StageRoles } from '../../../src/protocol/index.ts';
import type { StageRole } from '../../../src/protocol/index.ts';
import { stageProcesses } from '../../helpers/stage-processes.ts';
import type { ChaosContext, ChaosExperiment, ChaosMeasurement } from '../chaos-experiment.ts';
import { startChaosDeployment } from '../chaos-deployment.ts';
import { measureOutcome } from '../chaos-outcome.ts';
import { RecoveryClock } from '../recovery-clock.ts';
import { MIX_SIZES, abortableDelay, startWorkflowMix } from '../workflow-mix.ts';

/** Kills per profile, and the pause between two. */
const KILLS = { short: { count: 5, everyMs: 2_500 }, full: { count: 24, everyMs: 3_000 } } as const;

/** SIGKILL of a random stage process (loader, connector, graph-builder, trainer) every few seconds while the mix runs. */
export const stageKill: ChaosExperiment = {
  name: 'stage-kill',
  chaosMesh: { manifest: 'pod-kill-loader.yaml' },
  async run(ctx: ChaosContext): Promise<ChaosMeasurement> {
    const dep = await startChaosDeployment(ctx, { simulator: { latencyMs: 40 } });
    try {
      const workflows = await startWorkflowMix(dep.rt.manager, MIX_SIZES[ctx.profile]);
      const recovery = new RecoveryClock(dep.rt.runtime.store, dep.rt.registry);
      const plan = KILLS[ctx.profile];
      let kills = 0;
      let idle = 0;
      while (kills < plan.count && !ctx.signal.aborted && idle < 40) {
        await abortableDelay(kills === 0 ? 1_500 : plan.everyMs, ctx.signal);
        await recovery.poll();
        const mine = new Set(workflows.map((wf) => wf.queue_id));
        const candidates = stageProcesses().filter((p) => mine.has(p.queueId) && (StageRoles as readonly string[]).includes(p.role));
        const victim = candidates[Math.floor(Math.random() * candidates.length)];
        if (victim === undefined) {
          idle++;
          continue;
        }
        const wf = workflows.find((w) => w.queue_id === victim.queueId);
        if (wf === undefined) continue;
        await recovery.fault(wf, Date.now(), victim.role as StageRole);
        process.kill(victim.pid, 'SIGKILL');
        kills++;
        ctx.log.info({ kill: kills, of: plan.count, role: victim.role, workflow: `${wf.symbol} ${wf.type}`, pid: victim.pid }, 'SIGKILL');
      }
      return await measureOutcome(ctx, { store: dep.rt.runtime.store, registry: dep.rt.registry }, workflows, { faults: kills, recovery, settleMs: ctx.profile === 'short' ? 60_000 : 240_000 });
    } finally {
      await dep.close();
    }
  },
};
