import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { LocalActorHost } from '../../src/system/actor-system/index.ts';
import { PromMetrics, createLogger } from '../../src/system/observability/index.ts';
import type { ActorRef, ActorSpec, Behaviour, SupervisionPolicy } from '../../src/actors/ports/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { defaultPolicies } from '../helpers/stage-settings.ts';

interface Rig {
  readonly host: LocalActorHost;
  /** Backoffs wait on it: the test moves it. */
  readonly clock: FakeClock;
  readonly metrics: PromMetrics;
  /** Backoffs the host slept, in order. */
  readonly sleeps: number[];
  readonly events: string[];
  /** Moves the clock (backoffs fire as their time comes) until `event` has been recorded. */
  readonly until: (event: string) => Promise<void>;
}

async function withHost(fn: (rig: Rig) => Promise<void>, events: string[] = []): Promise<void> {
  const clock = new FakeClock(0, { sleeps: 'timer' });
  const metrics = new PromMetrics({ defaults: false });
  // random 1 puts every jittered backoff at the top of its range: exactly the base.
  const host = new LocalActorHost({ logger: createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }), metrics, clock, supervision: defaultPolicies.actorRestart, random: () => 1 });
  const until = async (event: string) => {
    await clock.advanceUntil(event, () => (events.includes(event) ? true : undefined));
  };
  try {
    await fn({ host, clock, metrics, sleeps: clock.sleeps, events, until });
  } finally {
    await host.shutdown();
  }
}

function fresh(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

const fastPolicy = (maxRestarts: number): SupervisionPolicy => ({ maxRestarts, windowMs: 60_000, initialBackoffMs: 40, maxBackoffMs: 1_000 });

/**
 * An actor that records its life in `events` as `<label> create|start|dispose <n>` and `<label> <msg>@<n>`,
 * where n is the incarnation; `boom…` messages throw.
 */
function recorder(
  label: string,
  events: string[],
  extra: Partial<ActorSpec<string>> & { behaviour?: (n: number) => Partial<Behaviour<string>> } = {},
): ActorSpec<string> {
  let incarnations = 0;
  return {
    name: fresh(label),
    actorType: `test_${label}`,
    supervision: fastPolicy(3),
    ...extra,
    create: () => {
      const n = ++incarnations;
      events.push(`${label} create ${n}`);
      return {
        start: () => {
          events.push(`${label} start ${n}`);
        },
        receive: (msg: string) => {
          if (msg.startsWith('boom')) {
            events.push(`${label} ${msg}@${n}`);
            throw new Error(msg);
          }
          events.push(`${label} ${msg}@${n}`);
        },
        dispose: () => {
          events.push(`${label} dispose ${n}`);
        },
        ...extra.behaviour?.(n),
      };
    },
  };
}

async function restartsCounted(metrics: PromMetrics, actorType: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric('streamforge_actor_restarts_total');
  assert.ok(metric, 'streamforge_actor_restarts_total is registered');
  const { values } = await metric.get();
  return values.filter((v) => v.labels['actor_type'] === actorType).reduce((sum, v) => sum + v.value, 0);
}

describe('LocalActorHost', { timeout: 30_000 }, () => {
  it('restarts a crashed actor as a fresh incarnation after a backoff, disposing the old one first', () =>
    withHost(async ({ host, clock, sleeps, events, until }) => {
      const ref = host.spawn(recorder('worker', events));
      ref.tell('a');
      await until('worker a@1');
      const crashedAt = clock.now();
      ref.tell('boom');
      await until('worker start 2');
      const restartedAfterMs = clock.now() - crashedAt;
      ref.tell('b');
      await until('worker b@2');
      assert.deepEqual(events, [
        'worker create 1',
        'worker start 1',
        'worker a@1',
        'worker boom@1',
        'worker dispose 1',
        'worker create 2',
        'worker start 2',
        'worker b@2',
      ]);
      assert.deepEqual(sleeps, [40], 'one backoff of initialBackoffMs');
      assert.ok(restartedAfterMs >= 35, `restart waited for the backoff (${restartedAfterMs.toFixed(1)} ms)`);
    }));

  it('restarts an actor that fails outside a message (ctx.fail), like one whose receive threw', () =>
    withHost(async ({ host, metrics, sleeps, events, until }) => {
      let fail: (error: unknown) => void = () => undefined;
      const inner = recorder('subscriber', events);
      const ref = host.spawn({
        ...inner,
        create: (ctx) => {
          fail = ctx.fail;
          return inner.create(ctx);
        },
      });
      ref.tell('a');
      await until('subscriber a@1');
      // As a bus subscription's onError would: a callback, no message in hand.
      fail(new Error('consumer stopped'));
      await until('subscriber start 2');
      ref.tell('b');
      await until('subscriber b@2');
      assert.deepEqual(events, ['subscriber create 1', 'subscriber start 1', 'subscriber a@1', 'subscriber dispose 1', 'subscriber create 2', 'subscriber start 2', 'subscriber b@2']);
      assert.deepEqual(sleeps, [40], 'restarted after the policy backoff');
      assert.equal(await restartsCounted(metrics, 'test_subscriber'), 1);
    }));

  it('takes one ctx.fail per incarnation and none once the actor is stopping', () =>
    withHost(async ({ host, clock, events, until }) => {
      let ctxFail: (error: unknown) => void = () => undefined;
      let stopped: unknown = 'running';
      const inner = recorder('twice', events);
      host.spawn({
        ...inner,
        create: (ctx) => {
          ctxFail = ctx.fail;
          return inner.create(ctx);
        },
        onStop: (failure) => (stopped = failure),
      });
      await until('twice start 1');
      ctxFail(new Error('first'));
      ctxFail(new Error('second, the same failure reported again'));
      await until('twice start 2');
      await clock.advance(5_000);
      assert.equal(events.filter((e) => e.startsWith('twice create')).length, 2, 'one restart for the two calls');
      const stopping = host.shutdown();
      ctxFail(new Error('after the stop'));
      await stopping;
      assert.equal(stopped, undefined, 'a stop, not a failure');
    }));

  it('keeps messages told during the backoff for the new incarnation', () =>
    withHost(async ({ host, events, until }) => {
      const ref = host.spawn(recorder('worker', events));
      ref.tell('boom');
      ref.tell('queued');
      await until('worker queued@2');
      assert.deepEqual(events.slice(-3), ['worker create 2', 'worker start 2', 'worker queued@2']);
    }));

  it('counts restarts in streamforge_actor_restarts_total by actor type', () =>
    withHost(async ({ host, metrics, events, until }) => {
      const ref = host.spawn(recorder('counted', events));
      ref.tell('boom 1');
      await until('counted start 2');
      ref.tell('boom 2');
      await until('counted start 3');
      assert.equal(await restartsCounted(metrics, 'test_counted'), 2);
      assert.equal(await restartsCounted(metrics, 'test_other'), 0);
    }));

  it('escalates to the parent once the budget is spent: childFailed gets the name, the child stops', () =>
    withHost(async ({ host, clock, metrics, sleeps, events, until }) => {
      const failed: Array<[string, unknown]> = [];
      const restarted: Array<[string, number]> = [];
      const childSpec = recorder('child', events, { supervision: fastPolicy(2) });
      let child: ActorRef<string> | undefined;
      const parent = host.spawn<string>({
        name: fresh('parent'),
        actorType: 'test_parent',
        create: (ctx) => ({
          start: () => {
            child = ctx.spawn(childSpec);
          },
          receive: (msg) => {
            events.push(`parent ${msg}`);
          },
          childRestarted: (name, _err, attempt) => restarted.push([name, attempt]),
          childFailed: (name, err) => failed.push([name, err]),
        }),
      });
      await until('child start 1');
      assert.ok(child);
      child.tell('boom 1');
      await until('child start 2');
      child.tell('boom 2');
      await until('child start 3');
      child.tell('boom 3');
      await clock.advanceUntil('childFailed', () => (failed.length > 0 ? true : undefined));

      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.[0], childSpec.name);
      assert.ok(failed[0]?.[1] instanceof Error && failed[0][1].message === 'boom 3', 'childFailed gets the last error');
      assert.deepEqual(restarted, [[childSpec.name, 1], [childSpec.name, 2]]);
      assert.deepEqual(sleeps, [40, 80]);
      assert.equal(await restartsCounted(metrics, 'test_child'), 2);

      child.tell('after');
      parent.tell('probe');
      await until('parent probe');
      assert.ok(!events.includes('child create 4'), 'no fourth incarnation');
      assert.ok(!events.some((e) => e.startsWith('child after')), 'the stopped child handles nothing');
      assert.ok(events.includes('child dispose 3'), 'the last incarnation was disposed');
    }));

  it('stops a top-level actor whose budget is spent, disposing it', () =>
    withHost(async ({ host, events, until }) => {
      const ref = host.spawn(recorder('top', events, { supervision: fastPolicy(1) }));
      ref.tell('boom 1');
      await until('top start 2');
      ref.tell('boom 2');
      await until('top dispose 2');
      ref.tell('after');
      const probe = host.spawn(recorder('probe', events));
      probe.tell('ping');
      await until('probe ping@1');
      assert.ok(!events.includes('top create 3'));
      assert.ok(!events.some((e) => e.startsWith('top after')));
    }));

  it('disposes a child its parent stops; the child then handles nothing', () =>
    withHost(async ({ host, events, until }) => {
      let kept: ActorRef<string> | undefined;
      let stopped: ActorRef<string> | undefined;
      const parent = host.spawn<string>({
        name: fresh('parent'),
        actorType: 'test_parent',
        create: (ctx) => ({
          start: () => {
            kept = ctx.spawn(recorder('kept', events));
            stopped = ctx.spawn(recorder('stopped', events));
          },
          receive: (msg) => {
            if (msg === 'stop child' && stopped) ctx.stop(stopped);
          },
        }),
      });
      await until('kept start 1');
      await until('stopped start 1');
      parent.tell('stop child');
      await until('stopped dispose 1');
      stopped?.tell('after');
      kept?.tell('ping');
      await until('kept ping@1');
      assert.ok(!events.includes('stopped after@1'), 'the stopped child handles nothing');
      assert.ok(!events.includes('kept dispose 1'), 'its sibling lives on');
    }));

  it('disposes every live actor, children included, on shutdown', async () => {
    const events: string[] = [];
    await withHost(async ({ host, until }) => {
      host.spawn<string>({
        name: fresh('parent'),
        actorType: 'test_parent',
        create: (ctx) => ({
          start: () => {
            ctx.spawn(recorder('child', events));
          },
          receive: () => undefined,
          dispose: () => {
            events.push('parent dispose');
          },
        }),
      });
      await until('child start 1');
    }, events);
    // withHost has run host.shutdown(), which waits for every disposal.
    assert.ok(events.includes('parent dispose'), 'parent disposed on shutdown');
    assert.ok(events.includes('child dispose 1'), 'child disposed on shutdown');
  });

  it('stopSelf stops and disposes the actor after the current message', () =>
    withHost(async ({ host, events, until }) => {
      const self = host.spawn<string>({
        name: fresh('quitter'),
        actorType: 'test_quitter',
        create: (ctx) => ({
          receive: (msg) => {
            if (msg === 'quit') ctx.stopSelf();
            events.push(`quitter ${msg}`);
          },
          dispose: () => {
            events.push('quitter dispose');
          },
        }),
      });
      self.tell('quit');
      await until('quitter dispose');
      assert.ok(events.includes('quitter quit'), 'the current message ran to its end');
      self.tell('after');
      const probe = host.spawn(recorder('probe', events));
      probe.tell('ping');
      await until('probe ping@1');
      assert.ok(!events.includes('quitter after'), 'the stopped actor handles nothing');
    }));

  it('stopSelf stops and disposes the actor\'s children too', () =>
    withHost(async ({ host, events, until }) => {
      let child: ActorRef<string> | undefined;
      const self = host.spawn<string>({
        name: fresh('quitter'),
        actorType: 'test_quitter',
        create: (ctx) => ({
          start: () => {
            child = ctx.spawn(recorder('child', events));
          },
          receive: (msg) => {
            if (msg === 'quit') ctx.stopSelf();
          },
        }),
      });
      await until('child start 1');
      self.tell('quit');
      await until('child dispose 1');
      child?.tell('after');
      const probe = host.spawn(recorder('probe', events));
      probe.tell('ping');
      await until('probe ping@1');
      assert.ok(!events.includes('child after@1'), 'the child handles nothing');
    }));
});
