// A finished workflow's own topics and consumer groups go a retention after it ended (by default a
// day), on the manager's clock; a workflow still running keeps its own, and the shared topics stay.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Bus, BusMessage, Subscription } from '../../src/actors/index.ts';
import { WorkflowRegistry } from '../../src/actors/index.ts';
import { workflowBusResources } from '../../src/actors/workflow/workflow-resources.ts';
import { BusError, deadLetterTopicOf, stageControlGroupId, Targets } from '../../src/protocol/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { FakeClock, settle, settleUntil } from '../helpers/fake-clock.ts';
import { startManager } from '../helpers/manager-on-data-dir.ts';
import { seriesWorkflow } from '../helpers/series-workflow.ts';
import type { Launch } from '../helpers/manager-on-data-dir.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;


/** True while `topic` exists on the bus: producing to it succeeds. */
async function exists(bus: Bus, topic: string): Promise<boolean> {
  return bus.produce(topic, [{ key: 'probe', value: 'probe' }]).then(
    () => true,
    () => false,
  );
}

/** Reads `queue-control` in `groupId` until `until` arrives; resolves with every value read. */
async function readControl(bus: Bus, groupId: string, until: string): Promise<string[]> {
  const seen: string[] = [];
  let failed: unknown;
  const sub: Subscription = await bus.subscribe({
    groupId,
    topics: ['queue-control'],
    fromBeginning: true,
    handler: (batch: readonly BusMessage[]) => {
      seen.push(...batch.map((m) => m.value));
      return Promise.resolve();
    },
    onError: (err) => (failed = err),
  });
  await settleUntil(() => seen.includes(until) || failed !== undefined);
  await sub.close();
  if (failed !== undefined) throw new Error(`reading queue-control in ${groupId} failed`, { cause: failed });
  return seen;
}

describe('topic retention after a workflow finished', { timeout: 60_000 }, () => {
  it('names only topics called after the workflow as its own, and the groups of its consumers', () => {
    const wf = seriesWorkflow('BTCUSDT', { status: 'completed', owner: 'm', owner_heartbeat_at: 1, updated_at: 1 });
    const own = workflowBusResources(wf);
    assert.deepEqual(own.topics, [`${wf.queue_id}-data`, `${wf.queue_id}-data-dlq`]);
    assert.deepEqual(
      [...own.groups].sort(),
      [`streamforge-connector-${wf.queue_id}`, `streamforge-trainer-${wf.queue_id}`, ...Object.values(wf.stages).map((s) => `streamforge-${s.telemetry_id}-control`)].sort(),
    );
    // A registry entry pointing at a shared topic (written by hand, or by an older version) deletes no topic.
    assert.deepEqual(workflowBusResources({ ...wf, kafka_topic: 'queue-control' }).topics, []);
  });


  it('deletes a finished workflow’s topics and groups a day after it ended, and nothing else', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sf-retention-'));
    const t0 = Date.parse('2025-03-03T00:00:00Z');
    const clock = new FakeClock(t0, { sleeps: 'timer' });
    const bus = new EmbeddedBus({ dataDir, pollIntervalMs: 10 });
    const store = new EmbeddedStore(dataDir);
    const registry = new WorkflowRegistry(store);
    const launches: Launch[] = [];
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    try {
      await registry.init();
      // Ended just now (as a previous manager process left it), and one still running, this manager's.
      const done: Workflow = seriesWorkflow('BTCUSDT', { status: 'completed', finished_at: t0, owner: 'manager-a', owner_heartbeat_at: t0, updated_at: t0 });
      const running: Workflow = seriesWorkflow('ETHUSDT', { status: 'running', owner: 'manager-a', owner_heartbeat_at: t0, updated_at: t0 });
      await bus.ensureTopics([{ name: 'queue-control' }, { name: 'queue-events' }]);
      for (const wf of [done, running]) {
        await registry.save(wf);
        await bus.ensureTopics([{ name: wf.kafka_topic }, { name: deadLetterTopicOf(wf.kafka_topic) }]);
      }
      // Each loader's control group has read a command: its offsets are committed on queue-control.
      await bus.produce('queue-control', [{ key: null, value: 'earlier command' }]);
      const controlGroup = (wf: Workflow) => stageControlGroupId(wf.stages[Targets.loader]?.telemetry_id ?? '');
      for (const wf of [done, running]) assert.ok((await readControl(bus, controlGroup(wf), 'earlier command')).includes('earlier command'));

      manager = await startManager({ dataDir, instanceId: 'manager-a', clock, launches, bus, deps: { ownershipLeaseMs: HOUR_MS, stallTimeoutMs: 10 * DAY_MS } });
      await settleUntil(() => launches.length >= 2);
      assert.deepEqual(launches.map((l) => l.queueId), [running.queue_id, running.queue_id], 'the running workflow resumed');

      const doneTopics = [done.kafka_topic, deadLetterTopicOf(done.kafka_topic)];
      const runningTopics = [running.kafka_topic, deadLetterTopicOf(running.kafka_topic)];
      await clock.advanceTo(t0 + DAY_MS - 1_000);
      await settle();
      for (const t of [...doneTopics, ...runningTopics]) assert.equal(await exists(bus, t), true, `${t} kept within the day`);
      assert.equal((await registry.get(done.queue_id))?.topics_deleted_at, undefined);

      await clock.advanceTo(t0 + DAY_MS);
      await settleUntil(() => false, 5);
      const after = await registry.get(done.queue_id);
      assert.equal(after?.topics_deleted_at, t0 + DAY_MS, 'deleted when the day was over');
      assert.equal(after?.status, 'completed');
      for (const t of doneTopics) assert.equal(await exists(bus, t), false, `${t} deleted`);
      for (const t of [...runningTopics, 'queue-control', 'queue-events']) assert.equal(await exists(bus, t), true, `${t} kept`);
      // The finished workflow's control group starts over (its offsets are gone); the running one's resumes.
      await bus.produce('queue-control', [{ key: null, value: 'later command' }]);
      assert.ok((await readControl(bus, controlGroup(done), 'later command')).includes('earlier command'), 'the deleted group reads from the start');
      assert.ok(!(await readControl(bus, controlGroup(running), 'later command')).includes('earlier command'), 'the kept group resumes');
      assert.deepEqual((await registry.listIn('retained')).map((w) => w.queue_id), []);

      // The running workflow stopped: its topics go a day after it ended, not before.
      const stopped = new Promise<Workflow>((resolve, reject) =>
        manager?.ref.tell({ type: 'stop', queueId: running.queue_id, reply: (r) => (r.ok ? resolve(r.value) : reject(r.error)) }),
      );
      await settleUntil(() => false, 5);
      await stopped;
      // Its stages never answer (idle actors): it is stopped at the stop's grace deadline.
      await clock.advance(10_000);
      await settleUntil(() => false, 5);
      const ended = await registry.get(running.queue_id);
      assert.equal(ended?.status, 'stopped');
      const endedAt = ended?.finished_at ?? 0;
      await clock.advanceTo(endedAt + DAY_MS - 1_000);
      await settle();
      for (const t of runningTopics) assert.equal(await exists(bus, t), true, `${t} kept within the day after the stop`);
      await clock.advanceTo(endedAt + DAY_MS);
      await settleUntil(() => false, 5);
      for (const t of runningTopics) assert.equal(await exists(bus, t), false, `${t} deleted a day after the stop`);
      assert.equal((await registry.get(running.queue_id))?.topics_deleted_at, endedAt + DAY_MS);
      for (const t of ['queue-control', 'queue-events']) assert.equal(await exists(bus, t), true, `${t} kept`);
    } finally {
      await manager?.close();
      await bus.close().catch(() => undefined);
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
  it('tries a failed deletion again a minute later (a Kafka group that still has members)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sf-retention-retry-'));
    const t0 = Date.parse('2025-03-03T00:00:00Z');
    const clock = new FakeClock(t0, { sleeps: 'timer' });
    const inner = new EmbeddedBus({ dataDir, pollIntervalMs: 10 });
    let refusals = 1;
    const bus: Bus = {
      kind: inner.kind,
      ensureTopics: (topics) => inner.ensureTopics(topics),
      produce: (topic, messages) => inner.produce(topic, messages),
      subscribe: (options) => inner.subscribe(options),
      deleteTopics: (topics) => inner.deleteTopics(topics),
      deleteGroups: (groupIds) => (refusals-- > 0 ? Promise.reject(new BusError('group has members', { retriable: true })) : inner.deleteGroups(groupIds)),
      lag: () => inner.lag(),
      close: () => inner.close(),
    };
    const store = new EmbeddedStore(dataDir);
    const registry = new WorkflowRegistry(store);
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    try {
      await registry.init();
      const done = seriesWorkflow('BTCUSDT', { status: 'failed', finished_at: t0, owner: 'manager-a', owner_heartbeat_at: t0, updated_at: t0 });
      await registry.save(done);
      manager = await startManager({ dataDir, instanceId: 'manager-a', clock, launches: [], bus, deps: { ownershipLeaseMs: HOUR_MS, topicRetentionAfterFinishMs: 0 } });
      await settleUntil(() => refusals < 0, 20);
      assert.equal((await registry.get(done.queue_id))?.topics_deleted_at, undefined, 'refused: not recorded as deleted');
      await clock.advance(59_000);
      await settle();
      assert.equal((await registry.get(done.queue_id))?.topics_deleted_at, undefined, 'not retried before the minute is over');
      await clock.advance(1_000);
      await settleUntil(() => false, 5);
      assert.equal((await registry.get(done.queue_id))?.topics_deleted_at, t0 + 60_000, 'deleted at the retry');
    } finally {
      if (manager) await manager.close();
      else await bus.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
