// A finished workflow's topics and consumer groups deleted on a real Kafka broker, a retention after
// it ended: the manager's clock is a fake one the test moves a day on; the broker and its admin
// answers are real. Fresh topic and group names; what the test made is deleted afterwards.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { WorkflowRegistry } from '../../src/actors/index.ts';
import type { BusMessage } from '../../src/actors/index.ts';
import { connectorGroupId, deadLetterTopicOf } from '../../src/protocol/index.ts';
import { KafkaBus } from '../../src/system/bus/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { releaseKafka, requireKafka, uniqueName } from '../helpers/kafka-broker.ts';
import { startManager } from '../helpers/manager-on-data-dir.ts';
import { seriesWorkflow } from '../helpers/series-workflow.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DAY_MS = 86_400_000;

let bootstrap = '';
before(async () => {
  bootstrap = await requireKafka();
});
after(() => releaseKafka());

describe('topic retention on Kafka', { timeout: 180_000 }, () => {
  it('deletes a finished workflow’s topics and its connector’s group a day after it ended; the shared topics and a running workflow’s stay', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sf-it-retention-'));
    const t0 = Date.parse('2025-03-03T00:00:00Z');
    const clock = new FakeClock(t0, { sleeps: 'timer' });
    const bus = new KafkaBus({ brokers: [bootstrap], clientId: uniqueName('sf-it-retention') });
    const admin = new Kafka({ brokers: [bootstrap], clientId: uniqueName('sf-it-retention-admin'), logLevel: logLevel.NOTHING }).admin();
    const store = new EmbeddedStore(dataDir);
    const registry = new WorkflowRegistry(store);
    const control = uniqueName('sf-it-control');
    const events = uniqueName('sf-it-events');
    const done = seriesWorkflow('BTCUSDT', { status: 'completed', finished_at: t0, owner: 'manager-k', owner_heartbeat_at: t0, updated_at: t0 });
    const running = seriesWorkflow('ETHUSDT', { status: 'running', owner: 'manager-elsewhere', owner_heartbeat_at: t0 + 2 * DAY_MS, updated_at: t0 });
    const topics = [done, running].flatMap((wf) => [wf.kafka_topic, deadLetterTopicOf(wf.kafka_topic)]);
    let manager: Awaited<ReturnType<typeof startManager>> | undefined;
    try {
      await admin.connect();
      await registry.init();
      for (const wf of [done, running]) await registry.save(wf);
      await bus.ensureTopics([control, events, ...topics].map((name) => ({ name, partitions: 1 })));
      // The finished workflow's connector read its data: its group has committed offsets.
      await bus.produce(done.kafka_topic, [{ key: 'k', value: 'candle' }]);
      const read: BusMessage[] = [];
      const sub = await bus.subscribe({
        groupId: connectorGroupId(done.queue_id),
        topics: [done.kafka_topic],
        fromBeginning: true,
        handler: (batch) => {
          read.push(...batch);
          return Promise.resolve();
        },
        onError: (err) => assert.fail(String(err)),
      });
      await waitFor('the connector to read', () => (read.length > 0 ? true : undefined), 60_000);
      await sub.close();
      const groups = async () => (await admin.listGroups()).groups.map((g) => g.groupId);
      assert.ok((await groups()).includes(connectorGroupId(done.queue_id)));

      manager = await startManager({
        dataDir,
        instanceId: 'manager-k',
        clock,
        launches: [],
        bus,
        awaitReady: (ready) => waitFor('the manager to start', () => (ready() ? true : undefined), 60_000),
        deps: { controlTopic: control, eventsTopic: events, ownershipLeaseMs: 3_600_000, topicRetentionAfterFinishMs: DAY_MS },
      });
      await clock.advanceTo(t0 + DAY_MS - 1_000);
      assert.equal((await registry.get(done.queue_id))?.topics_deleted_at, undefined, 'nothing deleted within the day');
      const dueAt = Date.now();
      await clock.advanceTo(t0 + DAY_MS);
      const deletedAt = await waitFor('the finished workflow’s topics to be deleted', async () => (await registry.get(done.queue_id))?.topics_deleted_at, 60_000);
      const tookMs = Date.now() - dueAt;
      assert.equal(deletedAt, t0 + DAY_MS);
      const listed = await admin.listTopics();
      for (const t of [done.kafka_topic, deadLetterTopicOf(done.kafka_topic)]) assert.ok(!listed.includes(t), `${t} deleted`);
      for (const t of [running.kafka_topic, deadLetterTopicOf(running.kafka_topic), control, events]) assert.ok(listed.includes(t), `${t} kept`);
      assert.ok(!(await groups()).includes(connectorGroupId(done.queue_id)), 'the connector’s group deleted');
      process.stderr.write(`# topics and group deleted ${tookMs} ms (real) after their retention ran out\n`);
    } finally {
      if (manager) await manager.close();
      else await bus.close();
      const left = (await admin.listTopics().catch(() => [] as string[])).filter((t) => [control, events, ...topics].includes(t));
      if (left.length > 0) await admin.deleteTopics({ topics: left }).catch(() => undefined);
      await admin.disconnect();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
