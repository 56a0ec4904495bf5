import { assertNever, DepthEvent, depthUpdateFromEvent, isRetriable, parseStreamType, parseTimeRangeText, ValidationError } from '../../protocol/index.ts';
import type { BookSnapshot, DepthSnapshotBody, DepthUpdate, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { ActorContext, Behaviour } from '../ports/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { loadDepthCursor, produceCounted, saveDepthCursor, settleInFlight } from './depth-cursor.ts';
import type { DepthCursor } from './depth-cursor.ts';
import type { LiveSubscription } from './live-streams.ts';
import { BookSnapshotSchedule } from './book-snapshot-schedule.ts';
import { OrderBook } from './order-book.ts';
import type { OrderBookView } from './order-book.ts';
import { OrderBookSnapshotFetcher } from './order-book-snapshot-fetcher.ts';
import type { SnapshotOutcome } from './order-book-snapshot-fetcher.ts';
import { liveStreamsFor } from './stream-hub.ts';

export type DepthLoaderMessage =
  | StageControlMessage
  | { readonly type: 'event'; readonly data: unknown }
  | { readonly type: 'overflow' }
  | { readonly type: 'down'; readonly reason: string }
  | { readonly type: 'up' }
  | SnapshotOutcome
  | { readonly type: 'flush' }
  | { readonly type: 'tick' };

export interface DepthLoaderOptions {
  /**
   * Diff events waiting in the mailbox at most. Past it (the bus or the store is slower than the
   * stream) events are dropped until the loader has caught up, then the book is rebuilt. @defaultValue 10000
   */
  readonly maxQueuedEvents?: number;
}

/** Why a book was discarded (a label of the log line, not of a metric). */
type ResyncCause = 'gap' | 'disconnect' | 'backlog' | 'relaunch';

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
const MAX_QUEUED_EVENTS = 10_000;

/** The diff stream's name, as the exchange spells it. */
const depthStreamName = (symbol: string): string => `${symbol.toLowerCase()}@depth@100ms`;

/**
 * `ws_depth`: keeps a correct local order book from `<symbol>@depth@100ms` and REST snapshots (see
 * {@link OrderBook}), and produces every diff event to the data topic, plus the book's top levels on
 * the first sync, after every resync (a sequence gap, a disconnect, a backlog or a relaunch) and
 * periodically. Depth has no history: the stream starts live, and only records stamped within the range
 * are produced. The end marker counts each distinct record key produced once, across relaunches too
 * (see {@link DepthCursor}). A failed snapshot is fetched again later when the error is retriable.
 */
export class DepthLoader implements Behaviour<DepthLoaderMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<DepthLoaderMessage>;
  readonly #stage: StageLifecycle;
  readonly #range: TimeRange;
  readonly #book = new OrderBook();
  readonly #schedule: BookSnapshotSchedule;
  readonly #snapshots: OrderBookSnapshotFetcher;
  readonly #maxQueued: number;
  #client: BinanceRestClient | undefined;
  #cursor: DepthCursor | undefined;
  #stream: LiveSubscription | undefined;
  #pending: DepthUpdate[] = [];
  #pendingSnapshots: BookSnapshot[] = [];
  #flushQueued = false;
  #tickQueued = false;
  /** `event` messages in the mailbox. */
  #queued = 0;
  /** Events dropped since the mailbox was full; the `overflow` message that rebuilds the book is queued. */
  #dropped = 0;
  #live = false;
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
    this.#maxQueued = options.maxQueuedEvents ?? MAX_QUEUED_EVENTS;
    this.#stage = new StageLifecycle(deps, command, ctx, {
      counters: () => ({ records_written: this.#records(), resyncs: this.#resyncs() }),
      release: () => {
        this.#stream?.close();
        this.#stream = undefined;
      },
      beforeStop: () => this.#flushAndSave(),
      heartbeatMs: HEARTBEAT_MS,
      failureLog: 'depth loader failed',
    });
    this.#snapshots = new OrderBookSnapshotFetcher({
      fetch: () => this.#fetchSnapshot(),
      deliver: (outcome) => ctx.self.tell(outcome),
      clock: deps.clock,
      signal: this.#stage.signal,
      retry: deps.settings.retry.depthSnapshot,
    });
  }

  /** The local order book, read only: how far it got (`lastUpdateId`), whether it is in sync, its top levels. */
  get book(): OrderBookView {
    return this.#book;
  }

  async start(): Promise<void> {
    const { store, clock } = this.#deps;
    await this.#stage.open();
    const cursor = await loadDepthCursor(store, this.#cmd.queue_id, clock.now());
    this.#cursor = cursor;
    this.#schedule.restore({ lastUpdateId: cursor.snapshot_update_id, reasons: cursor.snapshot_reasons });
    const settled = await settleInFlight(store, cursor, (records) => this.#stage.produce(records), clock.now());
    if (settled > 0) this.#ctx.log.info({ records: settled }, 'produced again the batch the last run had in flight');
    if (cursor.done) {
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
      records_written: cursor.records,
      resyncs: cursor.resyncs,
    });
    // The book of the last run is gone: its next sync is stored as a resync.
    if (cursor.snapshot_update_id >= 0) this.#resynced('relaunch', { records: cursor.records });
    const self = this.#ctx.self;
    this.#stream = liveStreamsFor(this.#deps).subscribe([depthStreamName(this.#cmd.symbol)], {
      onEvent: (_stream, data) => this.#enqueue(data),
      onDisconnect: (reason) => self.tell({ type: 'down', reason }),
      onLive: () => self.tell({ type: 'up' }),
    });
    this.#startTicks();
  }

  async receive(message: DepthLoaderMessage): Promise<void> {
    if (this.#stage.stopped) return;
    switch (message.type) {
      case 'event':
        // Never below 0: after a restart the mailbox may still hold events the last incarnation queued.
        this.#queued = Math.max(0, this.#queued - 1);
        await this.#onEvent(message.data);
        return;
      case 'overflow':
        this.#onOverflow();
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
        if (this.#snapshots.settle(message)) this.#onSnapshot(message.body);
        else this.#requestSnapshot();
        return;
      case 'snapshot_failed':
        if (this.#snapshots.settle(message)) await this.#onSnapshotFailed(message.error);
        else this.#requestSnapshot();
        return;
      case 'flush':
        this.#flushQueued = false;
        await this.#flush();
        return;
      case 'tick':
        this.#tickQueued = false;
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

  /**
   * A stream event into the mailbox, unless the mailbox is full: then this one and every later one are
   * dropped until the loader reaches the `overflow` message queued behind the full mailbox.
   */
  #enqueue(data: unknown): void {
    if (this.#dropped > 0 || this.#queued >= this.#maxQueued) {
      if (this.#dropped++ === 0) this.#ctx.self.tell({ type: 'overflow' });
      return;
    }
    this.#queued++;
    this.#ctx.self.tell({ type: 'event', data });
  }

  /** Events were dropped: the book misses them, so it is rebuilt from the events after the drop. */
  #onOverflow(): void {
    const dropped = this.#dropped;
    this.#dropped = 0;
    const detail = { dropped_events: dropped, max_queued_events: this.#maxQueued };
    if (this.#book.synced) this.#resynced('backlog', detail);
    else this.#ctx.log.warn({ symbol: this.#cmd.symbol, cause: 'backlog', ...detail }, 'depth events dropped while syncing');
    this.#book.reset();
    this.#snapshots.discardBook();
  }

  async #onEvent(data: unknown): Promise<void> {
    const cursor = this.#cursor;
    if (!cursor) return;
    const parsed = DepthEvent.safeParse(data);
    if (!parsed.success) {
      this.#deps.metrics.messageRejected('depth_event');
      this.#ctx.log.warn({ issues: parsed.error.issues.length, issue: parsed.error.issues[0]?.message }, 'depth event rejected');
      return;
    }
    const update = depthUpdateFromEvent(parsed.data);
    if (update.event_time >= this.#range.toMs) this.#endSeen = true;
    else if (update.event_time >= this.#range.fromMs && update.final_update_id > cursor.produced_up_to) {
      // The stream delivers in order: what is not past the last produced is a replay (an overlap, a relaunch).
      cursor.produced_up_to = update.final_update_id;
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
    this.#snapshots.discardBook();
    this.#reconnects++;
    if (this.#book.synced) this.#resynced('disconnect', { reason });
    else this.#ctx.log.warn({ symbol: this.#cmd.symbol, reason }, 'depth stream disconnected');
    this.#book.reset();
  }

  /** The book was discarded: counted, logged, and the next sync stored as a `resync` snapshot. */
  #resynced(cause: ResyncCause, detail: Record<string, unknown>): void {
    if (this.#cursor) this.#cursor.resyncs++;
    this.#deps.metrics.bookResynced(this.#cmd.symbol);
    this.#ctx.log.warn({ symbol: this.#cmd.symbol, cause, ...detail, resyncs: this.#resyncs() }, 'order book out of sync: resyncing');
  }

  #onSnapshot(body: DepthSnapshotBody): void {
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

  /**
   * The exchange's errors (network, 5xx, 429 once the client's attempts are spent) pass: the book is
   * fetched again after a backoff, and the stream keeps being stored meanwhile. Anything else fails the stage.
   */
  async #onSnapshotFailed(error: unknown): Promise<void> {
    const delayMs = isRetriable(error) ? this.#snapshots.backOff() : undefined;
    if (delayMs === undefined) {
      await this.#stage.fail(error);
      return;
    }
    this.#ctx.log.warn({ err: error, symbol: this.#cmd.symbol, failures: this.#snapshots.failures, delay_ms: delayMs }, 'depth snapshot failed; fetching another later');
    this.#requestSnapshot();
  }

  /** Fetches a snapshot (one at a time) when the book needs one and the stream is live. */
  #requestSnapshot(delayMs = 0): void {
    if (!this.#client || this.#stage.stopped || !this.#live || this.#book.synced || this.#book.buffered === 0) return;
    this.#snapshots.request(delayMs);
  }

  async #fetchSnapshot(): Promise<DepthSnapshotBody> {
    const client = this.#client;
    if (!client) throw new ValidationError('no exchange client to fetch a depth snapshot with');
    return client.depth(this.#cmd.symbol, SNAPSHOT_LIMIT);
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

  /** Produces what is pending through the cursor (see {@link produceCounted}): a relaunch carries the count on exactly. */
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
    const stored = this.#schedule.stored;
    cursor.snapshot_update_id = stored.lastUpdateId;
    cursor.snapshot_reasons = [...stored.reasons];
    await produceCounted(store, cursor, records, (batch) => this.#stage.produce(batch), clock.now());
    metrics.recordsFetched('ws_depth', records.length);
  }

  /** On a stop: what is pending produced and counted, and the count saved, so a resume has nothing in flight. */
  async #flushAndSave(): Promise<void> {
    const cursor = this.#cursor;
    if (!cursor) return;
    await this.#flush();
    cursor.updated_at = this.#deps.clock.now();
    await saveDepthCursor(this.#deps.store, cursor);
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
    // The final count goes on the events topic before the end marker goes on the data topic: the
    // connector finishes on the marker, and `finished` below may reach the supervisor after that.
    await this.#stage.telemetry.publish('loading', {
      message: `${this.#cmd.symbol} depth done (${cursor.records} records)`,
      records_written: cursor.records,
      resyncs: cursor.resyncs,
      reconnects: this.#reconnects,
    });
    await this.#stage.finish(cursor.records, () => {
      cursor.updated_at = this.#deps.clock.now();
      return saveDepthCursor(this.#deps.store, cursor);
    }, {
      message: `Stored ${cursor.records} depth records, ${cursor.resyncs} resyncs`,
      resyncs: cursor.resyncs,
      reconnects: this.#reconnects,
    });
  }

  /** A tick every TICK_MS until the stage ends (its signal cancels the timer). */
  #startTicks(): void {
    this.#deps.clock.setInterval(
      () => {
        // One tick in the mailbox at most, however long the loader is busy.
        if (this.#tickQueued) return;
        this.#tickQueued = true;
        this.#ctx.self.tell({ type: 'tick' });
      },
      TICK_MS,
      this.#stage.signal,
    );
  }

  #records(): number {
    return this.#cursor?.records ?? 0;
  }

  #resyncs(): number {
    return this.#cursor?.resyncs ?? 0;
  }
}
