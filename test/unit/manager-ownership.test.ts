// Which manager supervises a workflow, when several share a store: adoption of an orphan is a
// compare-and-set, so two managers racing for it never both run it, and a supervisor whose
// workflow was adopted from under it writes nothing more.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../../src/actors/index.ts';
import { FakeClock, settle, settleUntil } from '../helpers/fake-clock.ts';
import { startManager } from '../helpers/manager-on-data-dir.ts';
import { seriesWorkflow } from '../helpers/series-workflow.ts';
import type { Launch, ManagerOnDataDir } from '../helpers/manager-on-data-dir.ts';
import { storeWith } from '../helpers/store-wrapper.ts';

const LEASE_MS = 1_000;
const ROUNDS = 60;


describe('workflow ownership among managers sharing a store', { timeout: 60_000 }, () => {
  let dataDir: string;
  let clock: FakeClock;
  let launches: Launch[];
  /** Per manager: the queue ids of its claims, with whether each won. */
  let claims: Map<string, Array<{ key: string; won: boolean }>>;
  let managers: ManagerOnDataDir[];

  /** Claims waiting for the other manager's claim on the same workflow. */
  let waiting: Map<string, Array<() => void>>;
  /** Which of two claims waiting together goes first: the first that arrived, or the second. */
  let secondFirst: boolean;
  /** Whether claims wait for each other (the race), or go to the store at once. */
  let pairing: boolean;

  /**
   * The manager's store, recording its claims. A claim is held until the other manager claims the
   * same workflow too (or a few hundred turns passed): both have then read the workflow unowned,
   * the window the lease's write-sleep-read-back left open, and their claims go to the store together.
   */
  function watchingClaims(instanceId: string): (store: Store) => Store {
    const mine: Array<{ key: string; won: boolean }> = [];
    claims.set(instanceId, mine);
    return (store) =>
      storeWith(store, {
        compareAndSet: async (collection, document, expected) => {
          // Claims only: a supervisor's own saves expect nothing but its ownership.
          if (!('owner_heartbeat_at' in expected)) return store.compareAndSet(collection, document, expected);
          if (pairing) await bothClaiming(document._key);
          const won = await store.compareAndSet(collection, document, expected);
          mine.push({ key: document._key, won });
          return won;
        },
      });
  }

  async function bothClaiming(key: string): Promise<void> {
    const queue = waiting.get(key) ?? [];
    waiting.set(key, queue);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    queue.push(release);
    if (queue.length === 2) {
      waiting.delete(key);
      for (const r of secondFirst ? [...queue].reverse() : queue) r();
    } else {
      void (async () => {
        for (let i = 0; i < 300 && waiting.get(key) === queue; i++) await settle();
        if (waiting.get(key) === queue) {
          waiting.delete(key);
          release();
        }
      })();
    }
    await released;
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sf-ownership-'));
    clock = new FakeClock(Date.parse('2025-01-06T00:00:00Z'), { sleeps: 'timer' });
    launches = [];
    claims = new Map();
    waiting = new Map();
    secondFirst = false;
    pairing = false;
    managers = [];
    for (const instanceId of ['manager-a', 'manager-b']) {
      managers.push(
        await startManager({ dataDir, instanceId, clock, launches, deps: { ownershipLeaseMs: LEASE_MS }, wrapStore: watchingClaims(instanceId) }),
      );
    }
  });

  afterEach(async () => {
    for (const m of managers) await m.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`of two managers racing to adopt the same orphaned workflow, exactly one wins, in each of ${ROUNDS} rounds`, async () => {
    const [a, b] = managers;
    assert.ok(a && b);
    const wins = new Map<string, number>();
    pairing = true;
    for (let round = 0; round < ROUNDS; round++) {
      const now = clock.now();
      // Left by a manager that went away: its heartbeat is older than a lease.
      const orphan = seriesWorkflow(`R${round}USDT`, { status: 'running', owner: 'manager-gone', owner_heartbeat_at: now - 3 * LEASE_MS, updated_at: now - 3 * LEASE_MS });
      await a.registry.save(orphan);
      // Both look for orphans (asked in either order), read it unowned and claim it together.
      secondFirst = round % 3 === 0;
      for (const m of round % 2 === 0 ? [a, b] : [b, a]) m.ref.tell({ type: 'adopt' });
      const stages = () => launches.filter((l) => l.queueId === orphan.queue_id);
      await settleUntil(() => stages().length >= 2);
      await settle();
      const tried = [...claims.values()].map((list) => list.filter((c) => c.key === orphan.queue_id));
      assert.deepEqual(tried.map((list) => list.length), [1, 1], `round ${round}: each manager claimed once`);
      assert.deepEqual(tried.flat().map((c) => c.won).sort(), [false, true], `round ${round}: one claim won, one lost`);
      const winner = [...claims].find(([, list]) => list.some((c) => c.key === orphan.queue_id && c.won))?.[0];
      assert.deepEqual(stages().map((l) => [l.manager, l.role]).sort(), [[winner, 'connector'], [winner, 'loader']], `round ${round}: only the winner runs stages`);
      assert.equal((await a.registry.get(orphan.queue_id))?.owner, winner);
      wins.set(winner ?? '', (wins.get(winner ?? '') ?? 0) + 1);
      // Time passes within the lease: the winners' supervisors renew their claims.
      await clock.advance(LEASE_MS / 4);
    }
    // Either manager can win: whichever claim reaches the store first.
    assert.equal([...wins.values()].reduce((n, w) => n + w, 0), ROUNDS);
    assert.equal(wins.size, 2, `both managers won rounds: ${JSON.stringify([...wins])}`);
    // Leases later, no workflow changed hands, no loser started a stage, every stage still runs.
    await clock.advance(3 * LEASE_MS);
    await settle();
    assert.equal(launches.length, 2 * ROUNDS);
    assert.deepEqual(launches.filter((l) => l.stopped), []);
    for (const m of managers) {
      const owned = launches.filter((l) => l.manager === m.instanceId && l.role === 'loader').map((l) => l.queueId);
      for (const queueId of owned) assert.equal((await m.registry.get(queueId))?.owner, m.instanceId);
    }
  });

  it('a supervisor whose workflow another manager adopted stops its stages and writes nothing more', async () => {
    const [a, b] = managers;
    assert.ok(a && b);
    const now = clock.now();
    const wf = seriesWorkflow('ETHUSDT', { status: 'running', owner: 'manager-gone', owner_heartbeat_at: now - 3 * LEASE_MS, updated_at: now - 3 * LEASE_MS });
    await a.registry.save(wf);
    a.ref.tell({ type: 'adopt' });
    await settleUntil(() => launches.length >= 2);
    assert.deepEqual(launches.map((l) => l.manager), ['manager-a', 'manager-a']);
    const held = await b.registry.get(wf.queue_id);
    assert.equal(held?.owner, 'manager-a');
    // As if manager-a had stalled for a lease: a third manager (one that then went quiet) claimed it.
    const claimed = held && (await b.registry.claim(held, 'manager-c', clock.now()));
    assert.ok(claimed);
    // manager-a's next heartbeat finds it taken: it lets go instead of writing its own state back.
    await clock.advance(LEASE_MS / 2);
    await settle();
    assert.deepEqual(await b.registry.get(wf.queue_id), claimed, 'manager-a wrote nothing over the new owner');
    assert.deepEqual(launches.map((l) => [l.manager, l.stopped]), [['manager-a', true], ['manager-a', true]], 'its stages stopped');
  });
});
