import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import { WorkflowRegistry } from '../../../src/actors/index.ts';
import type { CreateWorkflowRequest } from '../../../src/actors/index.ts';
import type { Workflow } from '../../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../../src/system/exchange-simulator/index.ts';
import { EmbeddedStore } from '../../../src/system/store/index.ts';
import { processStagesOnKafka } from '../../helpers/kafka-broker.ts';
import { serveRole } from '../../helpers/serve-role.ts';
import type { ServedRole } from '../../helpers/serve-role.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import type { ChaosContext, ChaosExperiment, ChaosMeasurement } from '../chaos-experiment.ts';
import { chaosKafka } from '../chaos-kafka.ts';
import { measureOutcome } from '../chaos-outcome.ts';
import { RecoveryClock } from '../recovery-clock.ts';
import { MIX_SIZES, abortableDelay, startWorkflowMix } from '../workflow-mix.ts';
import type { WorkflowCreator } from '../workflow-mix.ts';

/** The lease after which a silent manager's workflows are adopted (the default is 30 s). */
const LEASE_MS = 4_000;
/** Manager kills per profile: each kills the owner of the running workflows, then starts it again as the spare. */
const KILLS = { short: 1, full: 3 } as const;

type Check = ChaosMeasurement['checks'][number];

/** A manager process's HTTP API as a workflow creator (the workflow read back from the shared registry). */
function overHttp(base: string, registry: WorkflowRegistry): WorkflowCreator {
  return {
    async create(req: CreateWorkflowRequest) {
      if (!('symbol' in req)) throw new TypeError('only series workflows are created over HTTP here');
      const res = await request(`${base}/queues`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: req.symbol, type: req.type, from: new Date(req.range.fromMs).toISOString(), to: new Date(req.range.toMs).toISOString() }),
      });
      const body = await res.body.text();
      if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`POST /queues answered ${res.statusCode}: ${body}`);
      const { queue_id: queueId } = JSON.parse(body) as { readonly queue_id: string };
      return waitFor(`workflow ${queueId} in the registry`, () => registry.get(queueId), 10_000, 50);
    },
  };
}

/** Every process (not only this one's children: a killed manager's stages live on) assigned to one of these workflows. */
function stagePidsOf(queueIds: ReadonlySet<string>): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM') continue;
      throw err;
    }
    const queueId = environ.split('\0').find((kv) => kv.startsWith('QUEUE_ID='))?.slice('QUEUE_ID='.length);
    if (queueId !== undefined && queueIds.has(queueId)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Two managers (`serve --role manager` processes) on one Kafka and one store; the one owning the
 * running workflows is SIGKILLed, the other adopts them once the lease ran out, and every series
 * must still be exactly the exchange's: nothing run twice to different results.
 */
export const managerLoss: ChaosExperiment = {
  name: 'manager-loss',
  chaosMesh: { manifest: 'pod-kill-manager.yaml' },
  async run(ctx: ChaosContext): Promise<ChaosMeasurement> {
    const bootstrap = await chaosKafka();
    const sim = await startExchangeSimulator({ latencyMs: 40 });
    const env = (instance: string): Record<string, string> => ({
      ...processStagesOnKafka(bootstrap),
      BINANCE_API_URL: sim.url,
      BINANCE_WS_URL: sim.wsUrl,
      BINANCE_ARCHIVE_URL: sim.url,
      STREAMFORGE_DATA_DIR: ctx.workDir,
      STREAMFORGE_INSTANCE_ID: instance,
      OWNERSHIP_LEASE_MS: String(LEASE_MS),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      LOG_LEVEL: 'warn',
    });
    // Both managers share the control and event topics: they are one deployment.
    const shared = env('x');
    const envOf = (instance: string) => ({ ...env(instance), QUEUE_CONTROL_TOPIC: shared['QUEUE_CONTROL_TOPIC'] ?? '', QUEUE_EVENTS_TOPIC: shared['QUEUE_EVENTS_TOPIC'] ?? '' });
    const managers = new Map<string, ServedRole>();
    const store = new EmbeddedStore(ctx.workDir);
    const queueIds = new Set<string>();
    try {
      let serial = 0;
      const startManager = async () => {
        const name = `manager-${++serial}`;
        managers.set(name, await serveRole(['--role', 'manager'], envOf(name)));
        return name;
      };
      const first = await startManager();
      await startManager();
      const registry = new WorkflowRegistry(store);
      await registry.init();
      ctx.log.info({ managers: [...managers.keys()], lease_ms: LEASE_MS }, 'two managers up');
      const workflows = await startWorkflowMix(overHttp(managers.get(first)?.base ?? '', registry), { ...MIX_SIZES[ctx.profile], liveMs: ctx.profile === 'short' ? 30_000 : 120_000 });
      for (const wf of workflows) queueIds.add(wf.queue_id);
      const recovery = new RecoveryClock(store, registry);
      const checks: Check[] = [];
      let kills = 0;
      let adoptions = 0;
      for (let i = 0; i < KILLS[ctx.profile] && !ctx.signal.aborted; i++) {
        const running = await waitFor('a running workflow with an owner', async () => {
          const all = await Promise.all(workflows.map((wf) => registry.get(wf.queue_id)));
          const live = all.filter((wf): wf is Workflow => wf?.status === 'running' && wf.owner !== undefined && managers.has(wf.owner));
          return live.length > 0 ? live : undefined;
        }, 60_000, 200).catch(() => undefined);
        if (running === undefined) break;
        const owner = running[0]?.owner ?? '';
        const victim = managers.get(owner);
        if (victim === undefined) break;
        await abortableDelay(2_000, ctx.signal);
        const at = Date.now();
        for (const wf of running) await recovery.fault(wf, at);
        victim.process.child.kill('SIGKILL');
        await victim.process.exited;
        managers.delete(owner);
        kills++;
        ctx.log.info({ manager: owner, workflows: running.length }, 'SIGKILL the owning manager');
        const adopted = await waitFor('the other manager to adopt', async () => {
          const now = await Promise.all(running.map((wf) => registry.get(wf.queue_id)));
          return now.every((wf) => wf !== undefined && (wf.owner !== owner || wf.status !== 'running')) ? now : undefined;
        }, LEASE_MS * 4 + 30_000, 200).catch(() => undefined);
        const took = adopted?.filter((wf) => wf?.owner !== owner).length ?? 0;
        adoptions += took;
        checks.push({ name: `workflows of killed ${owner} adopted`, ok: adopted !== undefined, detail: `${took} of ${running.length} after ${Date.now() - at} ms` });
        // The spare for the next kill.
        await startManager();
      }
      const measured = await measureOutcome(ctx, { store, registry }, workflows, { faults: kills, adoptions, recovery, checks, settleMs: ctx.profile === 'short' ? 90_000 : 300_000 });
      return measured;
    } finally {
      await Promise.all([...managers.values()].map((m) => m.signal('SIGTERM', 20_000).catch(() => m.process.kill())));
      // A killed manager's stages outlive it (as Jobs outlive a manager pod): stop them too.
      for (const pid of stagePidsOf(queueIds)) process.kill(pid, 'SIGKILL');
      await store.close();
      await sim.close();
    }
  },
};
