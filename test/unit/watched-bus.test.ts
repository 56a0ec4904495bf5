import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedBus, WatchedBus } from '../../src/system/bus/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { waitFor } from '../helpers/wait-for.ts';

const GRACE_MS = 10_000;

async function withWatchedBus(fn: (bus: WatchedBus, clock: FakeClock) => Promise<void>): Promise<void> {
  const clock = new FakeClock(1_000_000);
  const bus = new WatchedBus(new EmbeddedBus({ dataDir: ':memory:', pollIntervalMs: 5 }), { clock, resubscribeGraceMs: GRACE_MS });
  try {
    await bus.ensureTopics([{ name: 'data', partitions: 1 }]);
    await bus.produce('data', [{ key: 'k', value: 'poison' }]);
    await fn(bus, clock);
  } finally {
    await bus.close();
  }
}

/** Subscribes a group whose handler always fails; resolves once the subscription stopped, with what its owner heard. */
async function failingSubscription(bus: WatchedBus, groupId: string) {
  const heard: unknown[] = [];
  const sub = await bus.subscribe({
    groupId,
    topics: ['data'],
    fromBeginning: true,
    handler: () => Promise.reject(new Error('handler keeps failing')),
    onError: (err) => heard.push(err),
  });
  await waitFor('the subscription to stop', () => (heard.length > 0 ? true : undefined), 5_000);
  return { sub, heard };
}

describe('WatchedBus', () => {
  it('reports a group down from its failure until a subscription of that group starts again', () =>
    withWatchedBus(async (bus) => {
      assert.deepEqual(bus.downGroups(), []);
      const { sub, heard } = await failingSubscription(bus, 'streamforge-connector-wf-a');
      assert.match(String(heard[0]), /handler keeps failing/, "the owner's onError still hears the failure");
      assert.deepEqual(bus.downGroups(), ['streamforge-connector-wf-a']);
      // The owner (restarted by supervision) closes the failed subscription and subscribes again.
      await sub.close();
      assert.deepEqual(bus.downGroups(), ['streamforge-connector-wf-a'], 'still down between the close and the new subscription');
      const again = await bus.subscribe({ groupId: 'streamforge-connector-wf-a', topics: ['data'], fromBeginning: true, handler: () => Promise.resolve(), onError: () => undefined });
      assert.deepEqual(bus.downGroups(), [], 'up once subscribed again');
      await again.close();
    }));

  it('lets a closed failed consumer count as down only for the grace time: an owner that gave up does not keep the process unready', () =>
    withWatchedBus(async (bus, clock) => {
      const { sub } = await failingSubscription(bus, 'streamforge-manager-m1');
      await clock.advance(GRACE_MS * 3);
      assert.deepEqual(bus.downGroups(), ['streamforge-manager-m1'], 'down for as long as the failed subscription is left open');
      await sub.close();
      await clock.advance(GRACE_MS - 1);
      assert.deepEqual(bus.downGroups(), ['streamforge-manager-m1']);
      await clock.advance(1);
      assert.deepEqual(bus.downGroups(), []);
    }));

  it('lists every group that is down, longest first, and keeps the others out', () =>
    withWatchedBus(async (bus, clock) => {
      const healthy = await bus.subscribe({ groupId: 'healthy', topics: ['data'], fromBeginning: true, handler: () => Promise.resolve(), onError: () => undefined });
      await failingSubscription(bus, 'first');
      await clock.advance(10);
      await failingSubscription(bus, 'second');
      assert.deepEqual(bus.downGroups(), ['first', 'second']);
      await healthy.close();
    }));
});
