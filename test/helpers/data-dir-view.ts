import { WorkflowRegistry } from '../../src/actors/index.ts';
import type { Subscription } from '../../src/actors/index.ts';
import { Targets } from '../../src/protocol/index.ts';
import type { TelemetryEvent, Workflow } from '../../src/protocol/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { recordTelemetry } from './telemetry-recorder.ts';
import { waitFor } from './wait-for.ts';

/**
 * The embedded bus and store of a data dir that other processes (serve, stage processes, containers
 * with the dir mounted as /data) run on, opened beside them: the workflow registry as they left it
 * and every telemetry event they sent, from the start of the log.
 */
export interface DataDirView {
  readonly store: EmbeddedStore;
  readonly registry: WorkflowRegistry;
  /** Every telemetry event seen so far, in log order. */
  readonly events: TelemetryEvent[];
  workflow(queueId: string): Promise<Workflow | undefined>;
  /** Waits until the workflow's connector said `finished` on the bus (every earlier event of the workflow has then been read). */
  connectorFinished(queueId: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function openDataDir(dataDir: string, eventsTopic = 'queue-events'): Promise<DataDirView> {
  const store = new EmbeddedStore(dataDir);
  const bus = new EmbeddedBus({ dataDir, pollIntervalMs: 20 });
  const registry = new WorkflowRegistry(store);
  await registry.init();
  const events: TelemetryEvent[] = [];
  const subscription: Subscription = await recordTelemetry(bus, eventsTopic, events);
  return {
    store,
    registry,
    events,
    workflow: (queueId) => registry.get(queueId),
    async connectorFinished(queueId, timeoutMs = 30_000) {
      await waitFor(`the connector of ${queueId} to say finished`, () =>
        events.some((e) => e.queue_id === queueId && e.status === 'finished' && e.producer.startsWith(`${Targets.connector}__`)) ? true : undefined, timeoutMs);
    },
    async close() {
      await subscription.close();
      await bus.close();
      await store.close();
    },
  };
}
