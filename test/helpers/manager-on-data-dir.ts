import { pino } from 'pino';
import { Manager, WorkflowRegistry } from '../../src/actors/index.ts';
import type { ActorRef, Bus, Clock, Launcher, ManagerDeps, ManagerMessage, Store } from '../../src/actors/index.ts';
import { LocalActorHost } from '../../src/system/actor-system/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { PromMetrics } from '../../src/system/observability/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { settle } from './fake-clock.ts';
import { defaultPolicies } from './stage-settings.ts';

/** A stage the launcher started: which manager's supervisor asked, for which workflow and role. */
export interface Launch {
  readonly manager: string;
  readonly queueId: string;
  readonly role: string;
  /** The launch's generation (its start command's), if the supervisor gave one. */
  readonly generation: number | undefined;
  /** Set when the stage's actor stopped (its supervisor stopped it, or let the workflow go). */
  stopped: boolean;
}

/** A Manager actor as a process hosts it, on its own connections to a data dir other managers may share. */
export interface ManagerOnDataDir {
  readonly instanceId: string;
  readonly ref: ActorRef<ManagerMessage>;
  readonly bus: Bus;
  readonly store: Store;
  readonly registry: WorkflowRegistry;
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * Starts a manager whose stages are idle actors recorded in `launches` (no exchange, no data): what
 * is tested is which manager supervises what. `bus` replaces the embedded bus of the data dir.
 */
export async function startManager(options: {
  readonly dataDir: string;
  readonly instanceId: string;
  readonly clock: Clock;
  readonly launches: Launch[];
  readonly deps?: Partial<ManagerDeps>;
  readonly bus?: Bus;
  /** Waits until the manager is ready; by default a few hundred event-loop turns (enough on the embedded bus). */
  readonly awaitReady?: (ready: () => boolean) => Promise<unknown>;
  /** Wraps the manager's store, e.g. to watch its calls. */
  readonly wrapStore?: (store: Store) => Store;
}): Promise<ManagerOnDataDir> {
  const log = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
  const metrics = new PromMetrics({ defaults: false });
  const bus = options.bus ?? new EmbeddedBus({ dataDir: options.dataDir, pollIntervalMs: 10 });
  const own = new EmbeddedStore(options.dataDir);
  const store = options.wrapStore?.(own) ?? own;
  const host = new LocalActorHost({ logger: log, metrics, clock: options.clock, supervision: defaultPolicies.actorRestart });
  const launcher: Launcher = {
    kind: 'inprocess',
    launch: (spec, parent) => {
      const launch: Launch = { manager: options.instanceId, queueId: spec.command.queue_id, role: spec.role, generation: spec.command.generation, stopped: false };
      options.launches.push(launch);
      const stage = { receive: () => undefined, dispose: () => void (launch.stopped = true) };
      return parent.spawn<never>({ name: spec.role, actorType: spec.role, create: () => stage });
    },
  };
  let ready = false;
  const ref = host.spawn<ManagerMessage>({
    name: 'manager',
    actorType: 'manager',
    create: (ctx) =>
      new Manager(
        {
          bus,
          store,
          clock: options.clock,
          launcher,
          metrics,
          controlTopic: 'queue-control',
          eventsTopic: 'queue-events',
          stageSupervision: defaultPolicies.stageRestart,
          instanceId: options.instanceId,
          readiness: (r) => (ready = r),
          ...options.deps,
        },
        ctx,
      ),
  });
  if (options.awaitReady) await options.awaitReady(() => ready);
  for (let i = 0; i < 100 && !ready; i++) await settle();
  if (!ready) throw new Error(`manager ${options.instanceId} did not start`);
  const registry = new WorkflowRegistry(store);
  return {
    instanceId: options.instanceId,
    ref,
    bus,
    store,
    registry,
    ready: () => ready,
    async close() {
      await host.shutdown();
      await bus.close();
      await store.close();
    },
  };
}
