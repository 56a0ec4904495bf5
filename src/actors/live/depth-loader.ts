import { assertNever, DepthEvent, depthUpdateFromEvent, parseStreamType, parseTimeRangeText, ValidationError } from '../../protocol/index.ts';
import type { BookSnapshot, DepthSnapshotBody, DepthUpdate, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { ActorContext, Behaviour } from '../ports/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { loadDepthCursor, saveDepthCursor } from './depth-cursor.ts';
import type { DepthCursor } from './depth-cursor.ts';
import type { LiveSubscription } from './live-streams.ts';
import { BookSnapshotSchedule } from './book-snapshot-schedule.ts';
import { OrderBook } from './order-book.ts';
import type { OrderBookView } from './order-book.ts';
import { liveStreamsFor } from './stream-hub.ts';

export type DepthLoaderMessage =
  | StageControlMessage
  | { readonly type: 'event'; readonly data: unknown }
  | { readonly type: 'down'; readonly reason: string }
  | { readonly type: 'up' }
  | { readonly type: 'snapshot'; readonly body: DepthSnapshotBody; readonly epoch: number }
  | { readonly type: 'snapshot_failed'; readonly error: unknown; readonly epoch: number }
  | { readonly type: 'flush' }
  | { readonly type: 'tick' };

export interface DepthLoaderOptions {
  /** Told the loader's book once, when the loader is created: for tests and diagnostics, read only. */
  readonly onBook?: (book: OrderBookView) => void;
}

/** Snapshot depth: every level the exchange serves at this weight (50). */
const SNAPSHOT_LIMIT = 1000;
/** Before asking again for a snapshot that was older than the buffered events. */
const NEWER_SNAPSHOT_DELAY_MS = 250;
const TICK_MS = 200;
/** A quiet stage still says it is alive this often (the supervisor takes a silent one for stalled). */
const HEARTBEAT_MS = 5000;
/** After `to`, events stamped before it may still be in flight this long. */
const END_GRACE_MS = 2000;
const MAX_BATCH = 1000;

/** The diff stream's name, as the exchange spells it. */
const depthStreamName = (symbol: string): string => `${symbol.toLowerCase()}@depth@100ms`;

/**
 * `ws_depth`: keeps a correct local order book from `<symbol>@depth@100ms` and REST snapshots (see
 * {@link OrderBook}), and produces every diff event to the data topic, plus the book's top levels on
 * the first sync, after every resync (a sequence gap or a disconnect) and periodically. Depth has no
 * history: the stream starts live, and only records stamped within the range are produced.
 */
export class DepthLoader implements Behaviour<DepthLoaderMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<DepthLoaderMessage>;
  readonly #stage: StageLifecycle;
  readonly #range: TimeRange;
  readonly #book = new OrderBook();
  readonly #schedule: BookSnapshotSchedule;
  #client: BinanceRestClient | undefined;
  #cursor: DepthCursor | undefined;
  #stream: LiveSubscription | undefined;
  #pending: DepthUpdate[] = [];
  #pendingSnapshots: BookSnapshot[] = [];
  #flushQueued = false;
  /** Highest final update id produced: the stream delivers in order, replays of an overlap only repeat. */
  #producedUpTo = -1;
  #live = false;
  #fetching = false;
  /** Bumped on every disconnect: a snapshot fetched before it belongs to a book that is gone. */
  #epoch = 0;
  #reconnects = 0;
  #endSeen = false;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<DepthLoaderMessage>, options: DepthLoaderOptions = {}) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const type = parseStreamType(command.type);
    const range = parseTimeRangeText(command.time_range);
    if (type?.source !== 'ws' || type.record !== 'depth' || !range) {
      throw new ValidationError(`cannot load type ${command.type} over ${command.time_range} as a depth stream`);
    }
    this.#range = range;
    this.#schedule = new BookSnapshotSchedule({
      symbol: command.symbol,
      range,
      topLevels: deps.settings.bookTopLevels ?? 20,
      intervalMs: deps.settings.bookSnapshotIntervalMs ?? 60_000,
    });
    this.#stage = new StageLifecycle(deps, command, ctx, {
      counters: () => ({ records_written: this.#records(), resyncs: this.#resyncs() }),
      release: () => {
        this.#stream?.close();
        this.#stream = undefined;
      },
      beforeStop: () => this.#flush(),
      heartbeatMs: HEARTBEAT_MS,
      failureLog: 'depth loader failed',
    });
    options.onBook?.(this.#book);
  }

  async start(): Promise<void> {
    const { store, clock } = this.#deps;
    await this.#stage.open();
    this.#cursor = await loadDepthCursor(store, this.#cmd.queue_id, clock.now());
    if (this.#cursor.done) {
      // A relaunch after the end: say so again, end marker included (both idempotent).
      await this.#finish();
      return;
    }
    this.#client = await this.#stage.restClient();
    if (!this.#client) return;
    if (this.#client.serverNow() >= this.#range.toMs) {
      // Depth has no history: a range that is over when the stage starts gets what it already has.
      await this.#finish();
      return;
    }
    await this.#stage.telemetry.publish('started', {
      message: `Streaming ${this.#cmd.symbol} depth until ${new Date(this.#range.toMs).toISOString()}`,
      records_written: this.#cursor.records,
      resyncs: this.#cursor.resyncs,
    });
    const self = this.#ctx.self;
    this.#stream = liveStreamsFor(this.#deps).subscribe([depthStreamName(this.#cmd.symbol)], {
      onEvent: (_stream, data) => self.tell({ type: 'event', data }),
      onDisconnect: (reason) => self.tell({ type: 'down', reason }),
      onLive: () => self.tell({ type: 'up' }),
    });
    void this.#ticks();
  }

  async receive(message: DepthLoaderMessage): Promise<void> {
    if (this.#stage.stopped) return;
    switch (message.type) {
      case 'event':
        await this.#onEvent(message.data);
        return;
      case 'down':
        this.#onDown(message.reason);
        return;
      case 'up':
        this.#live = true;
        // Events buffered while down may be stragglers of the lost connection: sync on the new one's.
        if (!this.#book.synced) this.#book.reset();
        return;
      case 'snapshot':
        this.#onSnapshot(message.body, message.epoch);
        return;
      case 'snapshot_failed':
        this.#fetching = false;
        if (message.epoch === this.#epoch) await this.#stage.fail(message.error);
        else this.#requestSnapshot();
        return;
      case 'flush':
        this.#flushQueued = false;
        await this.#flush();
        return;
      case 'tick':
        await this.#onTick();
        return;
      case 'stop':
      case 'ping':
        await this.#stage.control(message);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    await this.#stage.dispose();
  }

  async #onEvent(data: unknown): Promise<void> {
    const parsed = DepthEvent.safeParse(data);
    if (!parsed.success) {
      this.#deps.metrics.messageRejected('depth_event');
      this.#ctx.log.warn({ issues: parsed.error.issues.length, issue: parsed.error.issues[0]?.message }, 'depth event rejected');
      return;
    }
    const update = depthUpdateFromEvent(parsed.data);
    if (update.event_time >= this.#range.toMs) this.#endSeen = true;
    else if (update.event_time >= this.#range.fromMs && update.final_update_id > this.#producedUpTo) {
      this.#producedUpTo = update.final_update_id;
      this.#pending.push(update);
    }
    if (this.#book.applyEvent(update) === 'gap') {
      const gap = this.#book.lastGap;
      this.#resynced('gap', { expected_first_update_id: gap?.expected, got_first_update_id: gap?.got });
    }
    if (!this.#book.synced) this.#requestSnapshot();
    if (this.#pending.length >= MAX_BATCH) await this.#flush();
    else this.#queueFlush();
  }

  /** A flush behind every message already in the mailbox: one produce per burst, without waiting on a timer. */
  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    this.#ctx.self.tell({ type: 'flush' });
  }

  #onDown(reason: string): void {
    this.#live = false;
    this.#epoch++;
    this.#reconnects++;
    if (this.#book.synced) this.#resynced('disconnect', { reason });
    else this.#ctx.log.warn({ symbol: this.#cmd.symbol, reason }, 'depth stream disconnected');
    this.#book.reset();
  }

  /** The book was discarded: counted, logged, and the next sync stored as a `resync` snapshot. */
  #resynced(cause: 'gap' | 'disconnect', detail: Record<string, unknown>): void {
    if (this.#cursor) this.#cursor.resyncs++;
    this.#deps.metrics.bookResynced(this.#cmd.symbol);
    this.#ctx.log.warn({ symbol: this.#cmd.symbol, cause, ...detail, resyncs: this.#resyncs() }, 'order book out of sync: resyncing');
  }

  #onSnapshot(body: DepthSnapshotBody, epoch: number): void {
    this.#fetching = false;
    if (epoch !== this.#epoch) {
      this.#requestSnapshot();
      return;
    }
    const result = this.#book.applySnapshot(body);
    switch (result) {
      case 'synced':
        this.#schedule.synced();
        this.#snapshotRecord();
        this.#queueFlush();
        return;
      case 'need_newer_snapshot':
        this.#ctx.log.debug({ symbol: this.#cmd.symbol, snapshot: body.lastUpdateId, first: this.#book.firstBufferedUpdateId }, 'snapshot older than the stream');
        this.#requestSnapshot(NEWER_SNAPSHOT_DELAY_MS);
        return;
      case 'need_events':
        // Fetched again once an event is buffered.
        return;
      case 'already_synced':
        return;
      default:
        assertNever(result, 'snapshot result');
    }
  }

  /** Fetches a snapshot (one at a time) when the book needs one and the stream is live. */
  #requestSnapshot(delayMs = 0): void {
    const client = this.#client;
    if (!client || this.#fetching || this.#stage.stopped || !this.#live || this.#book.synced || this.#book.buffered === 0) return;
    this.#fetching = true;
    const epoch = this.#epoch;
    const { clock } = this.#deps;
    const signal = this.#stage.signal;
    void (async () => {
      try {
        if (delayMs > 0) await clock.sleep(delayMs, signal);
        const body = await client.depth(this.#cmd.symbol, SNAPSHOT_LIMIT);
        this.#ctx.self.tell({ type: 'snapshot', body, epoch });
      } catch (error) {
        if (!signal.aborted) this.#ctx.self.tell({ type: 'snapshot_failed', error, epoch });
      }
    })();
  }

  /** Queues the book's top levels when a sync or the period asks for it. */
  #snapshotRecord(): void {
    if (!this.#client) return;
    // Whole milliseconds: the server clock offset is measured to a fraction.
    const snapshot = this.#schedule.take(this.#book, Math.floor(this.#client.serverNow()));
    if (snapshot) this.#pendingSnapshots.push(snapshot);
  }

  async #onTick(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#snapshotRecord();
    if (this.#endSeen || client.serverNow() >= this.#range.toMs + END_GRACE_MS) {
      await this.#finish();
      return;
    }
    await this.#flush();
    await this.#progress();
  }

  /** Produces what is pending, then saves the count: a relaunch carries it on. */
  async #flush(): Promise<void> {
    const cursor = this.#cursor;
    if (!cursor || (this.#pending.length === 0 && this.#pendingSnapshots.length === 0)) return;
    const updates = this.#pending;
    const snapshots = this.#pendingSnapshots;
    this.#pending = [];
    this.#pendingSnapshots = [];
    const { metrics, store, clock } = this.#deps;
    const records = [...updates, ...snapshots];
    const now = this.#client?.serverNow() ?? clock.now();
    for (const u of updates) metrics.liveEventLatency(Math.max(0, now - u.event_time) / 1000);
    await this.#stage.produce(records);
    metrics.recordsFetched('ws_depth', records.length);
    cursor.records += records.length;
    cursor.updated_at = clock.now();
    await saveDepthCursor(store, cursor);
  }

  async #progress(): Promise<void> {
    const records = this.#records();
    await this.#stage.progress(records, () => {
      const at = this.#book.lastUpdateId;
      return {
        message: at === undefined ? `Syncing ${this.#cmd.symbol} book (${records} records)` : `${this.#cmd.symbol} book at update ${at} (${records} records)`,
        records_written: records,
        resyncs: this.#resyncs(),
        reconnects: this.#reconnects,
      };
    });
  }

  async #finish(): Promise<void> {
    const cursor = this.#cursor;
    if (!cursor) return;
    await this.#flush();
    cursor.done = true;
    await this.#stage.finish(cursor.records, () => {
      cursor.updated_at = this.#deps.clock.now();
      return saveDepthCursor(this.#deps.store, cursor);
    }, {
      message: `Stored ${cursor.records} depth records, ${cursor.resyncs} resyncs`,
      resyncs: cursor.resyncs,
      reconnects: this.#reconnects,
    });
  }

  async #ticks(): Promise<void> {
    const signal = this.#stage.signal;
    try {
      while (!signal.aborted) {
        await this.#deps.clock.sleep(TICK_MS, signal);
        this.#ctx.self.tell({ type: 'tick' });
      }
    } catch (err) {
      if (!signal.aborted) this.#ctx.log.warn({ err }, 'depth loader timer stopped');
    }
  }

  #records(): number {
    return this.#cursor?.records ?? 0;
  }

  #resyncs(): number {
    return this.#cursor?.resyncs ?? 0;
  }
}
