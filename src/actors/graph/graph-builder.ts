import { approximateIntervalCount, INTERVAL_MS, parseTimeRangeText, ValidationError } from '../../protocol/index.ts';
import type { Candle, GnnParams, GraphSnapshot, GraphSnapshotEnd, StartCommand, TimeRange } from '../../protocol/index.ts';
import { alignCandles, GraphSnapshotBuilder, StepAligner } from '../analytics/index.ts';
import type { AlignedStep } from '../analytics/index.ts';
import type { ActorContext, Behaviour, CandleSource, StoredDocument, Timer } from '../ports/index.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { loadGraphCursor, saveGraphCursor } from './graph-cursor.ts';
import type { GraphCursor } from './graph-cursor.ts';

export type GraphBuilderMessage = { readonly type: 'chunk' } | { readonly type: 'poll' } | StageControlMessage;

/** Candles per symbol read at once from the store over history. */
const CHUNK_CANDLES = 2_000;
/** Snapshots per produce (one bus batch) and per edge upsert. */
const PUBLISH_BATCH = 500;
/** Least time a live symbol may stay silent before its missing candles are taken for holes. */
const LIVE_GRACE_MS = 60_000;
/** The vertex collection every graph's symbols share. */
export const GRAPH_VERTEX_COLLECTION = 'graph_symbols';

/**
 * The graph-builder stage: reads the universe's stored candles (history a chunk at a time, then, live,
 * each candle as it is stored), turns them into one graph snapshot per time step (node features,
 * returns, correlation edges; no look-ahead), publishes them in time order on the workflow's
 * `<queue_id>-graph-features` topic and stores their edges as a named graph (symbols as vertices).
 * Its cursor is saved once a batch is on the bus: a relaunch rebuilds from the start (the features
 * need the history) and publishes only what comes after. A range ends with an end marker.
 */
export class GraphBuilder implements Behaviour<GraphBuilderMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<GraphBuilderMessage>;
  readonly #stage: StageLifecycle;
  readonly #gnn: GnnParams;
  readonly #range: TimeRange;
  readonly #candles: CandleSource;
  readonly #builder: GraphSnapshotBuilder;
  readonly #chunkMs: number;
  #cursor: GraphCursor | undefined;
  /** History is read up to here (exclusive); live, later candles come through the aligner. */
  #historyEnd = 0;
  #next = 0;
  #aligner: StepAligner | undefined;
  /** Live: where each symbol's next read starts. */
  #readFrom: number[] = [];
  #pollTimer: Timer | undefined;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<GraphBuilderMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const range = parseTimeRangeText(command.time_range);
    if (!command.gnn || !range) throw new ValidationError(`a graph-builder needs its universe (gnn) and a range; got type ${command.type} over ${command.time_range}`);
    if (!deps.analytics) throw new ValidationError('this process hosts no analytics: the graph-builder cannot read candles here');
    this.#gnn = command.gnn;
    this.#range = range;
    this.#candles = deps.analytics.candles;
    this.#builder = new GraphSnapshotBuilder({
      queueId: command.queue_id,
      interval: command.gnn.interval,
      symbols: command.gnn.symbols,
      window: command.gnn.window,
      edges: command.gnn.edges,
    });
    this.#chunkMs = CHUNK_CANDLES * INTERVAL_MS[command.gnn.interval];
    this.#stage = new StageLifecycle(deps, command, ctx, {
      counters: () => ({ records_written: this.#cursor?.snapshots ?? 0 }),
      release: () => this.#pollTimer?.cancel(),
      failureLog: 'graph-builder failed',
    });
  }

  async start(): Promise<void> {
    const { store, clock } = this.#deps;
    await this.#stage.open();
    this.#cursor = await loadGraphCursor(store, this.#cmd.queue_id, clock.now());
    if (this.#cursor.done) {
      // Already published (a relaunch after the end): say so again, end marker included. Idempotent.
      await this.#finish(this.#cursor);
      return;
    }
    try {
      await this.#ensureGraph();
    } catch (err) {
      await this.#stage.fail(err);
      return;
    }
    // Live, the data workflows are still loading history as this starts: every candle, old or new, comes through the aligner.
    this.#historyEnd = this.#gnn.live ? this.#range.fromMs : this.#range.toMs;
    this.#next = this.#range.fromMs;
    await this.#stage.telemetry.publish('started', {
      message: `Building graphs of ${this.#gnn.symbols.length} symbols (${this.#gnn.interval}, window ${this.#gnn.window})${this.#gnn.live ? ', live' : ''}`,
      records_written: this.#cursor.snapshots,
      ...(this.#gnn.live ? {} : { expected_records: this.#expected() }),
    });
    if (this.#gnn.live) this.#goLive();
    else this.#ctx.self.tell({ type: 'chunk' });
  }

  async receive(message: GraphBuilderMessage): Promise<void> {
    if (message.type !== 'chunk' && message.type !== 'poll') {
      await this.#stage.control(message);
      return;
    }
    if (this.#stage.stopped) return;
    try {
      if (message.type === 'chunk') await this.#chunk();
      else await this.#poll();
    } catch (err) {
      await this.#stage.fail(err);
    }
  }

  async dispose(): Promise<void> {
    this.#pollTimer?.cancel();
    await this.#stage.dispose();
  }

  /** One stretch of history: every symbol's candles of it, aligned, built, published. */
  async #chunk(): Promise<void> {
    const cursor = this.#cursor;
    if (!cursor) return;
    const from = this.#next;
    const to = Math.min(this.#historyEnd, from + this.#chunkMs);
    if (from < to) {
      const bySymbol = await Promise.all(this.#gnn.symbols.map((symbol) => this.#read(symbol, from, to)));
      await this.#publish(alignCandles(bySymbol));
      this.#next = to;
    }
    if (this.#next < this.#historyEnd) {
      this.#ctx.self.tell({ type: 'chunk' });
      return;
    }
    await this.#finish(cursor);
  }

  /** Candles as they are stored: every symbol read on from where it stood, steps released once complete. */
  #goLive(): void {
    const interval = INTERVAL_MS[this.#gnn.interval];
    // A symbol silent this long no longer holds the others back (a hole, a delisting): two candles, at least a minute.
    this.#aligner = new StepAligner(this.#gnn.symbols.length, Math.max(2 * interval, LIVE_GRACE_MS));
    this.#readFrom = this.#gnn.symbols.map(() => this.#historyEnd);
    const every = Math.min(30_000, Math.max(1_000, Math.floor(interval / 10)));
    this.#pollTimer = this.#deps.clock.setInterval(() => this.#ctx.self.tell({ type: 'poll' }), every, this.#stage.signal);
    this.#ctx.log.info({ queue_id: this.#cmd.queue_id, poll_ms: every }, 'graph-builder live');
  }

  async #poll(): Promise<void> {
    const aligner = this.#aligner;
    if (!aligner) return;
    const now = this.#deps.clock.now();
    const to = Math.min(this.#range.toMs, now);
    await Promise.all(
      this.#gnn.symbols.map(async (symbol, i) => {
        const from = this.#readFrom[i] ?? this.#historyEnd;
        if (from >= to) return;
        const candles = await this.#read(symbol, from, to);
        aligner.add(i, candles, now);
        const last = candles.at(-1);
        if (last !== undefined) this.#readFrom[i] = last.open_time + 1;
      }),
    );
    await this.#publish(aligner.release(now, now >= this.#range.toMs));
    if (now >= this.#range.toMs && this.#cursor) await this.#finish(this.#cursor);
    else await this.#stage.progress(this.#cursor?.snapshots ?? 0, () => this.#progressFields(), );
  }

  /** Builds each step's snapshot; those after the cursor go to the bus and the store in batches, the cursor saved after each. */
  async #publish(steps: readonly AlignedStep[]): Promise<void> {
    const cursor = this.#cursor;
    if (!cursor) return;
    let batch: GraphSnapshot[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await this.#stage.produce(batch);
      await this.#storeEdges(batch);
      const last = batch.at(-1);
      cursor.snapshots += batch.length;
      cursor.published_until = last?.time ?? cursor.published_until;
      cursor.updated_at = this.#deps.clock.now();
      await saveGraphCursor(this.#deps.store, cursor);
      batch = [];
      await this.#stage.progress(cursor.snapshots, () => this.#progressFields());
    };
    for (const step of steps) {
      const snapshot = this.#builder.push(step.time, step.candles);
      if (snapshot === undefined || snapshot.time <= cursor.published_until) continue;
      batch.push(snapshot);
      if (batch.length >= PUBLISH_BATCH) await flush();
    }
    await flush();
  }

  async #read(symbol: string, fromMs: number, toMs: number): Promise<Candle[]> {
    const out: Candle[] = [];
    for await (const c of this.#candles.candles(symbol, this.#gnn.interval, fromMs, toMs, this.#stage.signal)) out.push(c);
    return out;
  }

  /** The workflow's edge collection, the shared symbol vertices and the named graph over them. */
  async #ensureGraph(): Promise<void> {
    const { store } = this.#deps;
    const edges = this.#cmd.collection_name;
    await store.ensureCollection(GRAPH_VERTEX_COLLECTION, { sortField: 'rank' });
    await store.ensureCollection(edges, { sortField: 'time', kind: 'edge' });
    await store.ensureGraph(`${edges}_graph`, { vertexCollection: GRAPH_VERTEX_COLLECTION, edgeCollection: edges });
    await store.upsert(
      GRAPH_VERTEX_COLLECTION,
      this.#gnn.symbols.map((symbol) => ({ _key: symbol, symbol, rank: 0 })),
    );
  }

  /** One edge document per edge of each snapshot: `_from`/`_to` the symbols' vertices, keyed by time and pair. */
  async #storeEdges(snapshots: readonly GraphSnapshot[]): Promise<void> {
    const docs: StoredDocument[] = [];
    for (const s of snapshots) {
      for (const e of s.edges) {
        const source = s.symbols[e.source] ?? '';
        const target = s.symbols[e.target] ?? '';
        docs.push({
          _key: `${s.time}_${source}_${target}`,
          _from: `${GRAPH_VERTEX_COLLECTION}/${source}`,
          _to: `${GRAPH_VERTEX_COLLECTION}/${target}`,
          queue_id: s.queue_id,
          time: s.time,
          weight: e.weight,
        });
      }
    }
    if (docs.length > 0) await this.#deps.store.upsert(this.#cmd.collection_name, docs);
  }

  async #finish(cursor: GraphCursor): Promise<void> {
    const marker: GraphSnapshotEnd = { end_of_stream: true, queue_id: this.#cmd.queue_id, snapshots: cursor.snapshots };
    await this.#stage.finish(
      cursor.snapshots,
      async () => {
        cursor.done = true;
        cursor.updated_at = this.#deps.clock.now();
        await saveGraphCursor(this.#deps.store, cursor);
      },
      { message: `Published ${cursor.snapshots} graph snapshots` },
      marker,
    );
  }

  #progressFields() {
    const snapshots = this.#cursor?.snapshots ?? 0;
    return {
      message: `Published ${snapshots} graph snapshots`,
      records_written: snapshots,
      ...(this.#gnn.live ? {} : { expected_records: this.#expected() }),
    };
  }

  /** Snapshots a whole range gives: its candle slots less the warm-up (holes of every symbol aside). */
  #expected(): number {
    const slots = approximateIntervalCount(this.#gnn.interval, this.#range.fromMs, Math.min(this.#range.toMs, this.#deps.clock.now()));
    return Math.max(0, slots - this.#builder.warmupSteps);
  }
}
