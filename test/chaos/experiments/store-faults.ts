import type { Store } from '../../../src/actors/index.ts';
import { StoreError } from '../../../src/protocol/index.ts';
import { EmbeddedStore } from '../../../src/system/store/index.ts';
import { storeWith } from '../../helpers/store-wrapper.ts';
import type { ChaosContext, ChaosExperiment, ChaosMeasurement } from '../chaos-experiment.ts';
import { startChaosDeployment } from '../chaos-deployment.ts';
import { measureOutcome } from '../chaos-outcome.ts';
import { RecoveryClock } from '../recovery-clock.ts';
import { countStored } from '../stored-documents.ts';
import { MIX_SIZES, abortableDelay, startWorkflowMix } from '../workflow-mix.ts';

/** Fault windows per profile and how long the store refuses writes in each. */
const WINDOWS = { short: { count: 1, ms: 5_000 }, full: { count: 4, ms: 10_000 } } as const;

type Check = ChaosMeasurement['checks'][number];

/** A store whose writes to the collections in `refused` fail as a full disk would (retriable), while the switch is on. */
function switchableStore(store: Store, refused: () => ReadonlySet<string>): Store {
  return storeWith(store, {
    upsert: (collection, documents) => {
      if (refused().has(collection)) return Promise.reject(new StoreError(`chaos: the store refuses writes to ${collection} (disk full)`, { retriable: true }));
      return store.upsert(collection, documents);
    },
  });
}

/**
 * The store refuses the workflows' writes for a while, as a full disk would: their data must wait in
 * the bus (offsets are committed only after durable writes) and arrive once the store heals. The
 * switch sits on the store of the deployment's own process, so its stages run in-process here.
 */
export const storeFaults: ChaosExperiment = {
  name: 'store-faults',
  chaosMesh: { none: 'Chaos Mesh IOChaos can fail a volume’s writes, but the production store is ArangoDB (its own pods and volumes); the local fault switch stands in for a full disk of the store' },
  async run(ctx: ChaosContext): Promise<ChaosMeasurement> {
    let refused: ReadonlySet<string> = new Set();
    const dep = await startChaosDeployment(ctx, {
      simulator: { latencyMs: 40 },
      env: { STREAMFORGE_LAUNCHER: 'inprocess' },
      overrides: (dataDir) => ({ store: switchableStore(new EmbeddedStore(dataDir), () => refused) }),
    });
    try {
      const workflows = await startWorkflowMix(dep.rt.manager, { ...MIX_SIZES[ctx.profile], liveMs: ctx.profile === 'short' ? 25_000 : 90_000 });
      const collections = new Set(workflows.map((wf) => wf.collection_name));
      const recovery = new RecoveryClock(dep.rt.runtime.store, dep.rt.registry);
      const checks: Check[] = [];
      const plan = WINDOWS[ctx.profile];
      let windows = 0;
      let writtenDuringFaults = 0;
      await abortableDelay(3_000, ctx.signal);
      for (let i = 0; i < plan.count && !ctx.signal.aborted; i++) {
        const storedBefore = await Promise.all(workflows.map((wf) => countStored(dep.rt.runtime.store, wf.collection_name)));
        const at = Date.now();
        for (const wf of workflows) await recovery.fault(wf, at);
        refused = collections;
        ctx.log.info({ window: i + 1, of: plan.count, ms: plan.ms }, 'store refuses writes');
        await abortableDelay(plan.ms, ctx.signal);
        const storedAfter = await Promise.all(workflows.map((wf) => countStored(dep.rt.runtime.store, wf.collection_name)));
        refused = new Set();
        windows++;
        writtenDuringFaults += storedAfter.reduce((n, c, j) => n + c - (storedBefore[j] ?? 0), 0);
        ctx.log.info({ window: i + 1 }, 'store heals');
        await abortableDelay(4_000, ctx.signal);
      }
      checks.push({ name: 'the store took no write while refusing', ok: writtenDuringFaults === 0, detail: `${writtenDuringFaults} records` });
      return await measureOutcome(ctx, { store: dep.rt.runtime.store, registry: dep.rt.registry }, workflows, { faults: windows, recovery, checks, settleMs: ctx.profile === 'short' ? 90_000 : 300_000 });
    } finally {
      refused = new Set();
      await dep.close();
    }
  },
};
