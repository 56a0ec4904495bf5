import {
  candleFromKline,
  parseStreamType,
  parseTimeRangeText,
  toErrorInfo,
  ValidationError,
  INTERVAL_MS,
  approximateIntervalCount, assertNever } from '../../protocol/index.ts';
import type { Candle, EndOfStream, Interval, KlineRow, PingCommand, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { ActorContext, Behaviour, Subscription } from '../ports/index.ts';
import { BinanceRestClient } from '../exchange/index.ts';
import { listenForStageControl } from '../stage/control-listener.ts';
import { Telemetry } from '../stage/telemetry.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { loadCursor, saveCursor, splitRange } from './loader-cursor.ts';
import type { LoaderCursor } from './loader-cursor.ts';

export type LoaderMessage = { readonly type: 'page' } | { readonly type: 'stop' } | { readonly type: 'ping'; readonly ping: PingCommand };

const PAGE_LIMIT = 1000;

/**
 * `api_candles_<interval>`: pages `GET /api/v3/klines` by the last open time returned (never by a
 * computed step: the exchange has holes), produces each page to the workflow's data topic keyed by
 * symbol, saves its cursor once the page is durable, and ends the stream with a marker carrying the
 * record count. Only closed candles are loaded.
 */
export class CandleLoader implements Behaviour<LoaderMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<LoaderMessage>;
  readonly #telemetry: Telemetry;
  readonly #abort = new AbortController();
  readonly #interval: Interval;
  readonly #range: TimeRange;
  #client: BinanceRestClient | undefined;
  #cursor: LoaderCursor | undefined;
  #control: Subscription | undefined;
  #lastProgressAt = 0;
  #stopped = false;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<LoaderMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const type = parseStreamType(command.type);
    const range = parseTimeRangeText(command.time_range);
    if (type?.record !== 'candle' || !range) throw new ValidationError(`cannot load type ${command.type} over ${command.time_range}`);
    this.#interval = type.interval;
    this.#range = range;
    this.#telemetry = new Telemetry(deps.bus, deps.clock, deps.settings.eventsTopic, command);
  }

  async start(): Promise<void> {
    const { bus, store, clock, settings, metrics } = this.#deps;
    this.#control = await listenForStageControl({
      bus: bus,
      topic: settings.controlTopic,
      telemetryId: this.#cmd.telemetry_id,
      queueId: this.#cmd.queue_id,
      log: this.#ctx.log,
      metrics: metrics,
      self: this.#ctx.self,
    });
    // A month has no fixed length: 1M slices are cut on a 31-day step and paged like any other.
    const step = PAGE_LIMIT * (this.#interval === '1M' ? 31 * 86_400_000 : INTERVAL_MS[this.#interval]);
    this.#cursor = await loadCursor(
      store,
      this.#cmd.queue_id,
      () => splitRange(this.#range.fromMs, this.#range.toMs, settings.loaderConcurrency ?? 4, step),
      clock.now(),
    );
    if (this.#cursor.done) {
      // Already loaded (a relaunch after the end): say so again, end marker included, so a relaunched
      // connector past the old marker can finish too. Both are idempotent.
      await this.#finish(this.#cursor);
      return;
    }
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
    await this.#telemetry.publish('started', {
      message: `Loading ${this.#cmd.symbol} ${this.#interval} in ${this.#cursor.segments.length} slices`,
      records_written: this.#cursor.records,
      expected_records: this.#expected(),
    });
    this.#ctx.self.tell({ type: 'page' });
  }

  async receive(message: LoaderMessage): Promise<void> {
    switch (message.type) {
      case 'page':
        if (!this.#stopped) await this.#page();
        return;
      case 'stop':
        if (this.#stopped) return;
        this.#stopped = true;
        this.#abort.abort();
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
    // Stopped from outside (workflow stop, stall relaunch, SIGTERM): an aborted request is not a failure.
    this.#stopped = true;
    this.#abort.abort();
    await this.#control?.close();
  }

  /** One round: the next page of every unfinished slice, fetched concurrently, produced, then the cursor saved. */
  async #page(): Promise<void> {
    const cursor = this.#cursor;
    const client = this.#client;
    if (!cursor || !client || cursor.done) return;
    const { bus, store, metrics } = this.#deps;
    const active = cursor.segments.filter((s) => !s.done);
    let pages: KlineRow[][];
    try {
      pages = await Promise.all(active.map((s) => client.klines(this.#cmd.symbol, this.#interval, s.next_start, s.end - 1, PAGE_LIMIT)));
    } catch (err) {
      if (this.#stopped || this.#abort.signal.aborted) return;
      await this.#fail(err);
      return;
    }
    const now = client.serverNow();
    const candles: Candle[] = [];
    active.forEach((segment, i) => {
      const rows = pages[i] ?? [];
      // The still-open candle has partial values: only closed candles are data.
      const closed = rows.filter((r) => r[0] >= segment.next_start && r[0] < segment.end && r[6] < now);
      for (const r of closed) candles.push(candleFromKline(r, this.#cmd.symbol, this.#interval));
      const last = closed.at(-1);
      if (last) segment.next_start = last[0] + 1;
      segment.done = rows.length < PAGE_LIMIT || closed.length < rows.length;
    });
    if (candles.length > 0) {
      await bus.produce(
        this.#cmd.kafka_topic,
        candles.map((c) => ({ key: this.#cmd.symbol, value: JSON.stringify(c) })),
      );
      metrics.recordsFetched('api_candles', candles.length);
      cursor.records += candles.length;
    }
    cursor.done = cursor.segments.every((s) => s.done);
    cursor.updated_at = now;
    if (cursor.done) await this.#finish(cursor);
    else {
      await saveCursor(store, cursor);
      await this.#progress(cursor);
      this.#ctx.self.tell({ type: 'page' });
    }
  }

  async #finish(cursor: LoaderCursor): Promise<void> {
    const { bus, store, clock } = this.#deps;
    const marker: EndOfStream = { end_of_stream: true, queue_id: this.#cmd.queue_id, records: cursor.records, timestamp: clock.now() / 1000 };
    await bus.produce(this.#cmd.kafka_topic, [{ key: this.#cmd.symbol, value: JSON.stringify(marker) }]);
    await saveCursor(store, cursor);
    await this.#telemetry.publish('finished', {
      message: `Loaded ${cursor.records} candles`,
      records_written: cursor.records,
      expected_records: cursor.records,
      finished: true,
    });
    this.#ctx.stopSelf();
  }

  async #progress(cursor: LoaderCursor): Promise<void> {
    const now = this.#deps.clock.now();
    if (now - this.#lastProgressAt < (this.#deps.settings.progressIntervalMs ?? 1000)) return;
    this.#lastProgressAt = now;
    await this.#telemetry.publish('loading', {
      message: `Fetched ${cursor.records} candles`,
      records_written: cursor.records,
      expected_records: this.#expected(),
    });
  }

  async #fail(err: unknown): Promise<void> {
    // Stopped or disposed while a request ran (stop, stall relaunch, SIGTERM): the abort is no failure.
    if (this.#stopped || this.#abort.signal.aborted) return;
    const error = toErrorInfo(err);
    this.#ctx.log.error({ err }, 'loader failed');
    await this.#telemetry.publish('error', { message: error.message, error, records_written: this.#cursor?.records ?? 0 });
    this.#stopped = true;
    this.#ctx.stopSelf();
  }

  #expected(): number {
    return approximateIntervalCount(this.#interval, this.#range.fromMs, Math.min(this.#range.toMs, this.#deps.clock.now() - INTERVAL_MS[this.#interval] + 1));
  }
}
