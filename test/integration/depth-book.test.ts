import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DepthLoader, spawnStage } from '../../src/actors/index.ts';
import type { DepthLoaderMessage, Launcher, OrderBookView, StageDeps, Subscription } from '../../src/actors/index.ts';
import { BookSnapshot, DepthUpdate, Targets } from '../../src/protocol/index.ts';
import type { PriceLevel , TelemetryEvent} from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { storeFailingOnUpsert } from '../helpers/faulty-ports.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';

const SYMBOL = 'BTCUSDT';
const SNAPSHOT_INTERVAL_MS = 1000;
/** More than the simulator's deepest book side: stored snapshots are whole books, so they can be replayed. */
const TOP_LEVELS = 1000;
const RANGE_MS = 12_000;

/** The in-process launcher, except that the depth loader's book is handed to the test. */
function observingLauncher(books: Map<string, OrderBookView>): (deps: StageDeps) => Launcher {
  return (deps) => ({
    kind: 'inprocess',
    launch: (spec, parent) =>
      spec.role === 'loader' && spec.command.type === 'ws_depth'
        ? parent.spawn<DepthLoaderMessage>({
            name: spec.role,
            actorType: spec.role,
            create: (ctx) => {
              const loader = new DepthLoader(deps, spec.command, ctx);
              books.set(spec.command.symbol, loader.book);
              return loader;
            },
          })
        : spawnStage(parent, spec.role, spec.command, deps),
  });
}

/** The in-process launcher, except that the loader's store fails the `n`th save of a loader cursor (once), crashing it. */
function crashingLauncher(failOnCursorSave: number, crashes: { count: () => number }): (deps: StageDeps) => Launcher {
  return (deps) => {
    const store = storeFailingOnUpsert(deps.store, (collection) => collection === 'loader_cursors', new Set([failOnCursorSave]));
    crashes.count = () => store.failures;
    return {
      kind: 'inprocess',
      launch: (spec, parent) => spawnStage(parent, spec.role, spec.command, spec.role === 'loader' ? { ...deps, store } : deps),
    };
  };
}

async function resyncCount(rt: TestRuntime): Promise<number> {
  const text = await rt.runtime.metrics.registry.getSingleMetricAsString('streamforge_book_resyncs_total');
  const m = new RegExp(`streamforge_book_resyncs_total\\{symbol="${SYMBOL}"\\} (\\d+)`).exec(text);
  return Number(m?.[1] ?? 0);
}

/** A naive book: price → quantity per side, levels as the exchange prints them. */
function replay(start: BookSnapshot, updates: readonly DepthUpdate[]): { bids: PriceLevel[]; asks: PriceLevel[] } {
  const bids = new Map(start.bids);
  const asks = new Map(start.asks);
  for (const u of updates) {
    for (const [side, levels] of [[bids, u.bids], [asks, u.asks]] as const) {
      for (const [p, q] of levels) {
        if (Number(q) === 0) side.delete(p);
        else side.set(p, q);
      }
    }
  }
  const sorted = (m: Map<string, string>, desc: boolean): PriceLevel[] =>
    [...m.entries()].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0])));
  return { bids: sorted(bids, true), asks: sorted(asks, false) };
}

describe('ws_depth: a local order book that equals the exchange', () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;
  let events: Subscription | undefined;
  const telemetry: TelemetryEvent[] = [];
  const books = new Map<string, OrderBookView>();

  before(async () => {
    sim = await startExchangeSimulator({ seed: 23, ws: { depthIntervalMs: 100, tickMs: 20 } });
    rt = await startTestRuntime(sim.url, {
      env: { BINANCE_WS_URL: sim.wsUrl, BOOK_SNAPSHOT_INTERVAL_MS: String(SNAPSHOT_INTERVAL_MS), BOOK_TOP_LEVELS: String(TOP_LEVELS) },
      overrides: () => ({ launcher: observingLauncher(books) }),
    });
    events = await recordTelemetry(rt.runtime.bus, rt.runtime.config.QUEUE_EVENTS_TOPIC, telemetry);
  });
  after(async () => {
    await events?.close();
    await rt?.close();
    await sim?.close();
  });

  /** Waits until the local book is at the exchange's current update id, then compares every level. */
  async function checkpoint(label: string): Promise<number> {
    const seen = await waitFor(
      `${label}: the local book at the exchange's update id`,
      () => {
        const local = books.get(SYMBOL);
        const exchange = sim.book(SYMBOL);
        if (!local?.synced || local.lastUpdateId !== exchange.lastUpdateId) return undefined;
        return { local: local.full(), exchange };
      },
      20_000,
      2,
    );
    assert.deepEqual(seen.local, seen.exchange, label);
    assert.ok(seen.exchange.bids.length > 0 && seen.exchange.asks.length > 0);
    return seen.exchange.lastUpdateId;
  }

  it('syncs, resyncs once per sequence gap and per disconnect, and stores a diff stream and snapshots that replay', async () => {
    const fromMs = Date.now();
    const wf = await rt.manager.create({ symbol: SYMBOL, type: 'ws_depth', range: { fromMs, toMs: fromMs + RANGE_MS } });

    await checkpoint('first sync');
    await checkpoint('later');
    assert.equal(await resyncCount(rt), 0);

    const beforeGap = sim.book(SYMBOL).lastUpdateId;
    sim.injectDepthGap(SYMBOL);
    await waitFor('a resync after the gap', async () => ((await resyncCount(rt)) >= 1 ? true : undefined), 10_000);
    const afterGap = await checkpoint('after the gap');
    assert.ok(afterGap > beforeGap);
    await checkpoint('after the gap, later');
    assert.equal(await resyncCount(rt), 1, 'exactly one resync for one gap');

    assert.ok(sim.dropConnections() >= 1, 'a connection was dropped');
    await waitFor('a resync after the disconnect', async () => ((await resyncCount(rt)) >= 2 ? true : undefined), 10_000);
    await checkpoint('after the disconnect');
    await checkpoint('after the disconnect, later');
    assert.equal(await resyncCount(rt), 2);

    const done = await rt.settle(wf.queue_id, 30_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const loaderRecords = done.stages[Targets.loader]?.records ?? -1;
    assert.equal(done.stages[Targets.connector]?.records, loaderRecords);

    const docs = await rt.runtime.store.range(wf.collection_name);
    assert.equal(docs.length, loaderRecords, 'the end marker counted every distinct record');
    const updates = docs.filter((d) => d.record === 'depth_update').map((d) => DepthUpdate.parse(d));
    const snapshots = docs.filter((d) => d.record === 'book_snapshot').map((d) => BookSnapshot.parse(d));
    updates.sort((a, b) => a.first_update_id - b.first_update_id);
    snapshots.sort((a, b) => a.last_update_id - b.last_update_id || a.event_time - b.event_time);
    for (const r of [...updates, ...snapshots]) assert.ok(r.event_time >= fromMs && r.event_time < fromMs + RANGE_MS, 'only records in range');

    // The diff stream is consecutive except where events were missed, and a resync follows each such place.
    const breaks: Array<{ prevFinal: number; nextFirst: number }> = [];
    for (let i = 1; i < updates.length; i++) {
      const prev = updates[i - 1];
      const next = updates[i];
      if (prev && next && next.first_update_id !== prev.final_update_id + 1) breaks.push({ prevFinal: prev.final_update_id, nextFirst: next.first_update_id });
    }
    assert.ok(breaks.length >= 1 && breaks.length <= 2, `one break for the gap, at most one for the disconnect: ${JSON.stringify(breaks)}`);
    assert.ok(breaks[0] && breaks[0].prevFinal >= beforeGap && breaks[0].nextFirst <= afterGap, 'the first break is the injected gap');

    const reasons = (reason: BookSnapshot['reason']) => snapshots.filter((s) => s.reason === reason);
    assert.equal(reasons('initial').length, 1);
    assert.equal(reasons('resync').length, 2);
    assert.ok(reasons('periodic').length >= 4, `periodic snapshots: ${reasons('periodic').length}`);
    const initial = reasons('initial')[0];
    assert.ok(initial && initial.last_update_id < (breaks[0]?.nextFirst ?? 0));
    for (const b of breaks) {
      assert.ok(reasons('resync').some((s) => s.last_update_id >= b.nextFirst), `a resync snapshot after the break at ${b.nextFirst}`);
    }
    const periodic = reasons('periodic');
    for (let i = 1; i < periodic.length; i++) {
      assert.ok((periodic[i]?.event_time ?? 0) - (periodic[i - 1]?.event_time ?? 0) >= SNAPSHOT_INTERVAL_MS - 1, 'periodic snapshots are an interval apart');
    }

    // Each snapshot equals the previous one plus the stored diff events between them, where no break lies between.
    let replayed = 0;
    for (let i = 1; i < snapshots.length; i++) {
      const from = snapshots[i - 1];
      const to = snapshots[i];
      if (!from || !to || to.reason === 'resync') continue;
      const between = updates.filter((u) => u.final_update_id > from.last_update_id && u.final_update_id <= to.last_update_id);
      const book = replay(from, between);
      assert.deepEqual({ bids: to.bids, asks: to.asks }, book, `snapshot at ${to.last_update_id} from the one at ${from.last_update_id}`);
      replayed++;
    }
    assert.ok(replayed >= 3, `replayed ${replayed} snapshot pairs`);

    await waitFor('the loader telemetry to arrive', () => (telemetry.some((e) => e.queue_id === wf.queue_id && e.status === 'finished' && e.resyncs !== undefined) ? true : undefined), 10_000);
    const finished = telemetry.find((e) => e.queue_id === wf.queue_id && e.status === 'finished' && e.resyncs !== undefined);
    assert.equal(finished?.resyncs, 2);
    const loading = telemetry.filter((e) => e.producer === finished?.producer && e.status === 'loading').map((e) => e.resyncs ?? -1);
    assert.ok(loading.length >= 10 && loading.includes(2), 'loading telemetry reports resyncs');
    assert.deepEqual(loading, [...loading].sort((a, b) => a - b), 'resyncs only grow');
  });
});

describe('ws_depth through the standard stage factory', () => {
  it('stores the diff stream and the initial and periodic snapshots, and completes at the end of the range', async () => {
    const sim = await startExchangeSimulator({ seed: 5, ws: { tickMs: 20 } });
    const rt = await startTestRuntime(sim.url, { env: { BINANCE_WS_URL: sim.wsUrl, BOOK_SNAPSHOT_INTERVAL_MS: '1000' } });
    try {
      const fromMs = Date.now();
      const wf = await rt.manager.create({ symbol: 'ETHUSDT', type: 'ws_depth', range: { fromMs, toMs: fromMs + 4000 } });
      const done = await rt.settle(wf.queue_id, 30_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      const docs = await rt.runtime.store.range(wf.collection_name);
      const snapshots = docs.filter((d) => d.record === 'book_snapshot').map((d) => BookSnapshot.parse(d));
      const updates = docs.filter((d) => d.record === 'depth_update').map((d) => DepthUpdate.parse(d));
      assert.equal(docs.length, done.stages[Targets.loader]?.records);
      assert.ok(updates.length >= 20, `${updates.length} diff events`);
      assert.deepEqual([...new Set(snapshots.map((s) => s.reason))].sort(), ['initial', 'periodic']);
      for (const s of snapshots) assert.ok(s.bids.length === 20 && s.asks.length === 20, 'the top 20 levels by default');
    } finally {
      await rt.close();
      await sim.close();
    }
  });
});

describe('ws_depth: a loader that crashes between producing a batch and saving its count', () => {
  it('is restarted, resumes from its cursor, and its end marker counts every distinct stored record once', async () => {
    const sim = await startExchangeSimulator({ seed: 31, ws: { tickMs: 20 } });
    const crashes = { count: () => 0 };
    const rt = await startTestRuntime(sim.url, {
      env: { BINANCE_WS_URL: sim.wsUrl, BOOK_SNAPSHOT_INTERVAL_MS: '500' },
      // A dozen batches in: well after the first sync, well before the end.
      overrides: () => ({ launcher: crashingLauncher(12, crashes) }),
    });
    try {
      const fromMs = Date.now();
      const wf = await rt.manager.create({ symbol: 'ETHUSDT', type: 'ws_depth', range: { fromMs, toMs: fromMs + 6000 } });
      const done = await rt.settle(wf.queue_id, 30_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.equal(crashes.count(), 1, 'the loader crashed once');
      assert.ok((done.stages[Targets.loader]?.restarts ?? 0) >= 1, 'and was restarted');
      const docs = await rt.runtime.store.range(wf.collection_name);
      const snapshots = docs.filter((d) => d.record === 'book_snapshot').map((d) => BookSnapshot.parse(d));
      assert.ok(docs.length > 20, `${docs.length} records stored`);
      assert.equal(done.stages[Targets.loader]?.records, docs.length, 'the end marker counted every distinct record once');
      assert.equal(done.stages[Targets.connector]?.records, docs.length);
      assert.deepEqual(snapshots.filter((x) => x.reason !== 'periodic').map((x) => x.reason), ['initial', 'resync'], 'the restarted loader stored its first sync as a resync');
    } finally {
      await rt.close();
      await sim.close();
    }
  });
});
