import { assertNever, parseTimeRangeText, StreamForgeError, toErrorInfo, ValidationError } from '../../protocol/index.ts';
import type { EndOfStream, StartCommand, TimeRange } from '../../protocol/index.ts';
import { BinanceRestClient } from '../exchange/index.ts';
import type { ActorContext, Behaviour, OutgoingMessage, Subscription } from '../ports/index.ts';
import { listenForStageControl } from '../stage/control-listener.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { Telemetry } from '../stage/telemetry.ts';
import type { TelemetryFields } from '../stage/telemetry.ts';
import { loadLiveCursor, saveLiveCursor } from './live-cursor.ts';
import type { LiveCursor } from './live-cursor.ts';
import { liveSeriesFor } from './live-series.ts';
import type { KeyedRecord, LiveSeries } from './live-series.ts';
import type { LiveSubscription } from './live-streams.ts';
import { GapFiller } from './gap-filler.ts';
import type { FillReport } from './gap-filler.ts';
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
/** Wait after a retriable REST failure (the client has already retried it). */
const REST_RETRY_MS = 5_000;

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
  readonly #telemetry: Telemetry;
  readonly #abort = new AbortController();
  readonly #range: TimeRange;
  readonly #series: LiveSeries;
  #seq: RecordSequence | undefined;
  #filler: GapFiller | undefined;
  #client: BinanceRestClient | undefined;
  #control: Subscription | undefined;
  #live: LiveSubscription | undefined;
  /** Durable progress: saved after each produce. */
  #cursor: LiveCursor | undefined;
  #out: OutgoingMessage[] = [];
  #outEventTimes: number[] = [];
  #disconnected = false;
  #delayMs = 0;
  #ending = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #tickQueued = false;
  #lastProgressAt = 0;
  #lastProgressRecords = -1;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<LiveLoaderMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const range = parseTimeRangeText(command.time_range);
    if (!range) throw new ValidationError(`cannot load ${command.type} over ${command.time_range}`);
    this.#range = range;
    this.#series = liveSeriesFor(command.type, command.symbol);
    this.#telemetry = new Telemetry(deps.bus, deps.clock, deps.settings.eventsTopic, command);
  }

  async start(): Promise<void> {
    const { bus, store, clock, settings, metrics } = this.#deps;
    this.#control = await listenForStageControl({
      bus,
      topic: settings.controlTopic,
      telemetryId: this.#cmd.telemetry_id,
      queueId: this.#cmd.queue_id,
      log: this.#ctx.log,
      metrics,
      self: this.#ctx.self,
    });
    const cursor = await loadLiveCursor(store, this.#cmd.queue_id, clock.now());
    this.#cursor = cursor;
    if (cursor.done) {
      // A relaunch after the end: say so again, end marker included (both idempotent).
      await this.#finish(cursor);
      return;
    }
    this.#seq = new RecordSequence(this.#series, this.#range, cursor.last_key);
    this.#filler = new GapFiller({ series: this.#series, range: this.#range, sequence: this.#seq, clock, log: this.#ctx.log });
    this.#filler.request(cursor.last_key === null ? 'backfill' : 'resume');
    this.#client = new BinanceRestClient({
      baseUrl: settings.binanceApiUrl,
      http: this.#deps.http,
      clock,
      metrics,
      log: this.#ctx.log,
      maxAttempts: settings.exchangeMaxAttempts,
      weightTarget: settings.exchangeWeightTarget,
      signal: this.#abort.signal,
    });
    try {
      await this.#client.init(this.#cmd.symbol);
    } catch (err) {
      await this.#fail(err);
      return;
    }
    // A range already over is loaded over REST alone.
    if (this.#client.serverNow() < this.#range.toMs) this.#subscribe();
    const resumed = cursor.last_key === null ? '' : ` after key ${cursor.last_key}`;
    await this.#telemetry.publish('started', { message: `Streaming ${this.#series.stream}${resumed}`, ...this.#counters(cursor) });
    this.#schedule(0);
  }

  async receive(message: LiveLoaderMessage): Promise<void> {
    switch (message.type) {
      case 'tick':
        this.#tickQueued = false;
        if (this.#stopped) return;
        await this.#step();
        if (!this.#stopped) this.#schedule(this.#delayMs || (this.#filler?.filling || (this.#seq?.held ?? 0) >= BATCH_RECORDS ? 0 : FLUSH_MS));
        return;
      case 'stop':
        if (this.#stopped) return;
        this.#halt();
        await this.#telemetry.publish('interrupted', { message: 'Stopped on request', records_written: this.#cursor?.records ?? 0 });
        this.#ctx.stopSelf();
        return;
      case 'ping':
        await this.#telemetry.pong(message.ping);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    // Stopped from outside (workflow stop, stall relaunch, SIGTERM): an aborted request is no failure.
    this.#halt();
    await this.#control?.close();
  }

  #subscribe(): void {
    this.#live = liveStreamsFor(this.#deps).subscribe([this.#series.stream], {
      onEvent: (_stream, data) => {
        const record = this.#stopped ? undefined : this.#series.fromEvent(data);
        // An event that does not fit is dropped: the gap it leaves is filled over REST like any other.
        if (record && this.#seq?.hold(record) && this.#seq.held >= BATCH_RECORDS) this.#schedule(0);
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
        this.#schedule(0);
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
    } catch (err) {
      if (this.#stopped || this.#abort.signal.aborted) return;
      if (!(err instanceof StreamForgeError && err.retriable)) {
        await this.#fail(err);
        return;
      }
      // The exchange is unreachable for now: keep the stream, hold its events (bounded), try again.
      this.#delayMs = REST_RETRY_MS;
      this.#ctx.log.warn({ err }, 'live loader REST request failed; retrying');
    }
    await this.#flush(cursor, seq);
    if (this.#ending && seq.complete && !filler.filling) await this.#finish(cursor);
    else await this.#progress(cursor);
  }

  /** Counts and reports a repair: a fill of what a restart, a disconnect or a jump in the keys missed. */
  #filled(cursor: LiveCursor, report: FillReport): void {
    if (report.reason === 'backfill' || report.reason === 'end') {
      if (report.records > 0) this.#ctx.log.info(report, 'live stream caught up over REST');
      return;
    }
    cursor.repairs++;
    cursor.repaired_records += report.records;
    this.#deps.metrics.streamRepaired(this.#cmd.type, report.records);
    this.#ctx.log.warn(report, 'live stream gap repaired over REST');
  }

  #queue(r: KeyedRecord): void {
    this.#out.push({ key: this.#cmd.symbol, value: JSON.stringify(r.record) });
    if (r.eventTime !== undefined) this.#outEventTimes.push(r.eventTime);
  }

  /** Produces what is queued, then saves the cursor: a restart resumes after what is durable. */
  async #flush(cursor: LiveCursor, seq: RecordSequence): Promise<void> {
    if (this.#out.length === 0 && cursor.last_key === seq.lastKey) return;
    const { bus, store, clock, metrics } = this.#deps;
    const out = this.#out;
    const eventTimes = this.#outEventTimes;
    this.#out = [];
    this.#outEventTimes = [];
    if (out.length > 0) {
      await bus.produce(this.#cmd.kafka_topic, out);
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
    this.#halt();
    const { bus, store, clock } = this.#deps;
    cursor.done = true;
    const marker: EndOfStream = { end_of_stream: true, queue_id: this.#cmd.queue_id, records: cursor.records, timestamp: clock.now() / 1000 };
    await bus.produce(this.#cmd.kafka_topic, [{ key: this.#cmd.symbol, value: JSON.stringify(marker) }]);
    await saveLiveCursor(store, cursor);
    await this.#telemetry.publish('finished', {
      message: `Streamed ${cursor.records} records (${cursor.repairs} repairs, ${cursor.repaired_records} records repaired)`,
      expected_records: cursor.records,
      finished: true,
      ...this.#counters(cursor),
    });
    this.#ctx.stopSelf();
  }

  async #progress(cursor: LiveCursor): Promise<void> {
    const now = this.#deps.clock.now();
    const since = now - this.#lastProgressAt;
    const moved = cursor.records !== this.#lastProgressRecords;
    if (!(since >= HEARTBEAT_MS || (moved && since >= (this.#deps.settings.progressIntervalMs ?? 1000)))) return;
    this.#lastProgressAt = now;
    this.#lastProgressRecords = cursor.records;
    const filling = this.#filler?.filling;
    const doing = filling ? `filling over REST (${filling})` : 'live';
    await this.#telemetry.publish('loading', { message: `${cursor.records} records, ${doing}`, ...this.#counters(cursor) });
  }

  #counters(cursor: LiveCursor): TelemetryFields {
    return { records_written: cursor.records, reconnects: cursor.reconnects, repairs: cursor.repairs, repaired_records: cursor.repaired_records };
  }

  async #fail(err: unknown): Promise<void> {
    if (this.#stopped || this.#abort.signal.aborted) return;
    const error = toErrorInfo(err);
    this.#ctx.log.error({ err }, 'live loader failed');
    this.#halt();
    await this.#telemetry.publish('error', { message: error.message, error, records_written: this.#cursor?.records ?? 0 });
    this.#ctx.stopSelf();
  }

  #halt(): void {
    this.#stopped = true;
    this.#abort.abort();
    this.#live?.close();
    this.#live = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#seq?.clear();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped || this.#tickQueued) return;
    if (delayMs > 0) {
      if (this.#timer === undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#schedule(0);
        }, delayMs);
        this.#timer.unref();
      }
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#tickQueued = true;
    this.#ctx.self.tell({ type: 'tick' });
  }
}
