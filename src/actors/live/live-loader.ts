import type { z } from 'zod';
import { assertNever, isRetriable, parseTimeRangeText, ValidationError } from '../../protocol/index.ts';
import type { SeriesRecord, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { ActorContext, Behaviour, Timer } from '../ports/index.ts';
import { Backoff } from '../retry/index.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { TelemetryFields } from '../stage/telemetry.ts';
import { loadLiveCursor, saveLiveCursor } from './live-cursor.ts';
import type { LiveCursor } from './live-cursor.ts';
import { liveSeriesFor } from './live-series-for.ts';
import type { KeyedRecord, LiveSeries } from './live-series.ts';
import type { LiveSubscription } from './live-streams.ts';
import { GapFiller } from './gap-filler.ts';
import type { FillReport, UnrepairedGap } from './gap-filler.ts';
import { RecordSequence } from './record-sequence.ts';
import { liveStreamsFor } from './stream-hub.ts';

export type LiveLoaderMessage = { readonly type: 'tick' } | StageControlMessage;

/** Records are produced at least this often while they flow. */
const FLUSH_MS = 50;
/** A tick is due at once when this many live events wait. */
const BATCH_RECORDS = 500;
/** `loading` at least this often even when nothing flows: the workflow supervisor treats a silent stage as stalled. */
const HEARTBEAT_MS = 5_000;
/** After the range's end, live events still in flight are waited for this long before REST fills the rest. */
const END_GRACE_MS = 500;
/** Rejected live events are logged at most this often (with how many there were); the metric counts each. */
const REJECT_LOG_MS = 10_000;

/**
 * `ws_candles_<interval>`, `ws_aggtrades`, `ws_trades`: subscribes the live stream first, then loads
 * what lies between the range's start and the first live event over REST while live events are held,
 * then follows the stream. Whatever a disconnect (or a crash, or an overflowing buffer) missed is
 * fetched over REST before live data continues: records are produced strictly in key order, each
 * once, so the stored series has no gap. At the range's end every record before it is made sure of
 * (over REST if the stream has not shown it), then the end marker follows.
 */
export class LiveLoader implements Behaviour<LiveLoaderMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<LiveLoaderMessage>;
  readonly #stage: StageLifecycle;
  readonly #range: TimeRange;
  readonly #series: LiveSeries;
  #seq: RecordSequence | undefined;
  #filler: GapFiller | undefined;
  #client: BinanceRestClient | undefined;
  #live: LiveSubscription | undefined;
  /** Durable progress: saved after each produce. */
  #cursor: LiveCursor | undefined;
  #out: SeriesRecord[] = [];
  #outEventTimes: number[] = [];
  #disconnected = false;
  #delayMs = 0;
  #ending = false;
  #timer: Timer | undefined;
  /** Waits after retriable REST failures (the client has already retried each): live events are held meanwhile, not handled. */
  readonly #restRetries: Backoff;
  #tickQueued = false;
  /** No step before this (clock time): REST failed and is waited for, however busy the stream. */
  #restRetryAt = 0;
  #rejectedSinceLog = 0;
  #rejectLoggedAt = -Infinity;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<LiveLoaderMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const range = parseTimeRangeText(command.time_range);
    if (!range) throw new ValidationError(`cannot load ${command.type} over ${command.time_range}`);
    this.#range = range;
    this.#series = liveSeriesFor(command.type, command.symbol);
    this.#restRetries = new Backoff(deps.settings.retry.liveRestFill);
    this.#stage = new StageLifecycle(deps, command, ctx, {
      counters: () => ({ records_written: this.#cursor?.records ?? 0 }),
      release: () => this.#release(),
      heartbeatMs: HEARTBEAT_MS,
      failureLog: 'live loader failed',
    });
  }

  async start(): Promise<void> {
    const { store, clock } = this.#deps;
    await this.#stage.open();
    const cursor = await loadLiveCursor(store, this.#cmd.queue_id, clock.now());
    this.#cursor = cursor;
    if (cursor.done) {
      // A relaunch after the end: say so again, end marker included (both idempotent).
      await this.#finish(cursor);
      return;
    }
    this.#seq = new RecordSequence(this.#series, this.#range, cursor.last_key);
    this.#filler = new GapFiller({ series: this.#series, range: this.#range, sequence: this.#seq, clock, retry: this.#deps.settings.retry.liveGapFill });
    this.#filler.request(cursor.last_key === null ? 'backfill' : 'resume');
    this.#client = await this.#stage.restClient();
    if (!this.#client) return;
    // A range already over is loaded over REST alone.
    if (this.#client.serverNow() < this.#range.toMs) this.#subscribe();
    const resumed = cursor.last_key === null ? '' : ` after key ${cursor.last_key}`;
    await this.#stage.telemetry.publish('started', { message: `Streaming ${this.#series.stream}${resumed}`, ...this.#counters(cursor) });
    this.#schedule(0);
  }

  async receive(message: LiveLoaderMessage): Promise<void> {
    if (message.type !== 'tick') {
      await this.#stage.control(message);
      return;
    }
    this.#tickQueued = false;
    if (this.#stage.stopped) return;
    // A tick asked for while the failing step ran: the retry waits all the same.
    const backoffMs = this.#restRetryAt - this.#deps.clock.now();
    if (backoffMs > 0) {
      this.#schedule(backoffMs);
      return;
    }
    await this.#step();
    if (!this.#stage.stopped) this.#schedule(this.#delayMs || (this.#filler?.filling || (this.#seq?.held ?? 0) >= BATCH_RECORDS ? 0 : FLUSH_MS));
  }

  async dispose(): Promise<void> {
    await this.#stage.dispose();
  }

  #subscribe(): void {
    this.#live = liveStreamsFor(this.#deps).subscribe([this.#series.stream], {
      onEvent: (_stream, data) => {
        if (this.#stage.stopped) return;
        const event = this.#series.fromEvent(data);
        switch (event.kind) {
          case 'record':
            // Past the buffer's bound the event is dropped: the gap it leaves is filled over REST like any other.
            if (this.#seq?.hold(event.record) && this.#seq.held >= BATCH_RECORDS) this.#wake();
            return;
          case 'skip':
            return;
          case 'invalid':
            this.#rejected(event.error);
            return;
          default:
            assertNever(event, 'live event');
        }
      },
      onDisconnect: (reason) => {
        if (this.#disconnected || !this.#cursor) return;
        this.#disconnected = true;
        this.#cursor.reconnects++;
        this.#ctx.log.warn({ reason, last_key: this.#seq?.lastKey }, 'live stream disconnected');
      },
      onLive: () => {
        if (!this.#disconnected) return;
        this.#disconnected = false;
        // Fetch what the disconnect missed now, not only once the next event shows a gap.
        this.#filler?.request('reconnect');
        this.#wake();
      },
    });
  }

  /** One round: a REST page or a batch of live events, produced, then the cursor saved. */
  async #step(): Promise<void> {
    const client = this.#client;
    const seq = this.#seq;
    const filler = this.#filler;
    const cursor = this.#cursor;
    if (!client || !seq || !filler || !cursor) return;
    this.#delayMs = 0;
    // The stream stays subscribed until the end: the range's last candle may close long after it.
    if (!this.#ending && client.serverNow() >= this.#range.toMs + END_GRACE_MS) this.#ending = true;
    try {
      await filler.step(client, this.#ending, (r) => this.#queue(r), (report) => this.#filled(cursor, report));
      this.#delayMs = filler.delayMs;
      this.#restRetries.reset();
    } catch (err) {
      if (this.#stage.stopped || this.#stage.signal.aborted) return;
      const now = this.#deps.clock.now();
      const retryMs = isRetriable(err) ? this.#restRetries.next(now) : undefined;
      if (retryMs === undefined) {
        await this.#stage.fail(err);
        return;
      }
      // The exchange is unreachable for now: keep the stream, hold its events (bounded), try again.
      this.#delayMs = retryMs;
      this.#restRetryAt = now + retryMs;
      this.#ctx.log.warn({ err, retry_ms: retryMs }, 'live loader REST request failed; retrying');
    }
    await this.#flush(cursor, seq);
    if (this.#ending && seq.complete && !filler.filling) await this.#finish(cursor);
    else await this.#progress(cursor);
  }

  /** Counts and reports a repair: a fill of what a restart, a disconnect or a jump in the keys missed. */
  #filled(cursor: LiveCursor, report: FillReport): void {
    if (report.unrepaired) {
      this.#unrepaired(cursor, report.unrepaired);
      return;
    }
    if (report.reason === 'backfill' || report.reason === 'end') {
      if (report.records > 0) this.#ctx.log.info(report, 'live stream caught up over REST');
      return;
    }
    cursor.repairs++;
    cursor.repaired_records += report.records;
    this.#deps.metrics.streamRepaired(this.#cmd.type, report.records);
    this.#ctx.log.warn(report, 'live stream gap repaired over REST');
  }

  /** A gap the exchange would not serve: the series goes on without it, counted in the cursor and the telemetry. */
  #unrepaired(cursor: LiveCursor, gap: UnrepairedGap): void {
    cursor.unrepaired_gaps++;
    cursor.unrepaired_records += gap.records;
    this.#ctx.log.error({ ...gap, stream: this.#series.stream, unrepaired_records: cursor.unrepaired_records }, 'live stream gap not served over REST; going on without it');
  }

  /** A live event that fails its schema: counted each time, logged at most every {@link REJECT_LOG_MS}. */
  #rejected(error: z.ZodError): void {
    this.#deps.metrics.messageRejected('live_event');
    this.#rejectedSinceLog++;
    const now = this.#deps.clock.now();
    if (now - this.#rejectLoggedAt < REJECT_LOG_MS) return;
    const issue = error.issues[0];
    const detail = issue ? `${issue.path.map(String).join('.')}: ${issue.message}` : undefined;
    // `rejected`: how many since the last time this was logged.
    this.#ctx.log.warn({ stream: this.#series.stream, rejected: this.#rejectedSinceLog, issue: detail }, 'live events rejected');
    this.#rejectedSinceLog = 0;
    this.#rejectLoggedAt = now;
  }

  #queue(r: KeyedRecord): void {
    this.#out.push(r.record);
    if (r.eventTime !== undefined) this.#outEventTimes.push(r.eventTime);
  }

  /** Produces what is queued, then saves the cursor: a restart resumes after what is durable. */
  async #flush(cursor: LiveCursor, seq: RecordSequence): Promise<void> {
    if (this.#out.length === 0 && cursor.last_key === seq.lastKey) return;
    const { store, clock, metrics } = this.#deps;
    const out = this.#out;
    const eventTimes = this.#outEventTimes;
    this.#out = [];
    this.#outEventTimes = [];
    if (out.length > 0) {
      await this.#stage.produce(out);
      const now = clock.now();
      for (const t of eventTimes) metrics.liveEventLatency(Math.max(0, now - t) / 1000);
      metrics.recordsFetched('ws', out.length);
    }
    cursor.records += out.length;
    cursor.last_key = seq.lastKey;
    cursor.updated_at = clock.now();
    await saveLiveCursor(store, cursor);
  }

  async #finish(cursor: LiveCursor): Promise<void> {
    cursor.done = true;
    await this.#stage.finish(cursor.records, () => saveLiveCursor(this.#deps.store, cursor), {
      message: `Streamed ${cursor.records} records (${cursor.repairs} repairs, ${cursor.repaired_records} records repaired${cursor.unrepaired_gaps > 0 ? `, ${cursor.unrepaired_gaps} gaps of ${cursor.unrepaired_records} records not served by the exchange` : ''})`,
      ...this.#counters(cursor),
    });
  }

  async #progress(cursor: LiveCursor): Promise<void> {
    await this.#stage.progress(cursor.records, () => {
      const filling = this.#filler?.filling;
      const doing = filling ? `filling over REST (${filling})` : 'live';
      return { message: `${cursor.records} records, ${doing}`, ...this.#counters(cursor) };
    });
  }

  #counters(cursor: LiveCursor): TelemetryFields {
    const { records, reconnects, repairs, repaired_records, unrepaired_gaps, unrepaired_records } = cursor;
    return { records_written: records, reconnects, repairs, repaired_records, unrepaired_gaps, unrepaired_records };
  }

  /** What the stream, the timer and the held events hold: let go on stop, failure, finish and dispose. */
  #release(): void {
    this.#live?.close();
    this.#live = undefined;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#seq?.clear();
  }

  /** A tick soon because live data wants handling, unless a REST retry is waited for: then the events wait (bounded) with it. */
  #wake(): void {
    if (this.#deps.clock.now() < this.#restRetryAt) return;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#stage.stopped || this.#tickQueued) return;
    if (delayMs > 0) {
      if (this.#timer === undefined) {
        this.#timer = this.#deps.clock.setTimeout(() => {
          this.#timer = undefined;
          this.#schedule(0);
        }, delayMs);
      }
      return;
    }
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#tickQueued = true;
    this.#ctx.self.tell({ type: 'tick' });
  }
}
