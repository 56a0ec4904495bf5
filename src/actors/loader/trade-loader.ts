import { aggTradeFromRow, assertNever, parseStreamType, parseTimeRangeText, toErrorInfo, ValidationError } from '../../protocol/index.ts';
import type { AggTrade, AggTradeRow, EndOfStream, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { ActorContext, Behaviour, Subscription } from '../ports/index.ts';
import { BinanceRestClient } from '../exchange/index.ts';
import { listenForStageControl } from '../stage/control-listener.ts';
import { Telemetry } from '../stage/telemetry.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import type { LoaderMessage } from './candle-loader.ts';
import { loadTradeCursor, saveTradeCursor, tradeSegments } from './trade-cursor.ts';
import type { TradeCursor, TradeCursorSegment } from './trade-cursor.ts';

const PAGE_LIMIT = 1000;
/** The exchange refuses `startTime`/`endTime` windows longer than an hour. */
const WINDOW_MS = 3_600_000;
/** Slices are cut on a one-minute grid: even a short range spreads over the concurrent slices. */
const SLICE_STEP_MS = 60_000;
/**
 * A trade in the exchange's current millisecond may still get siblings with the same time: only
 * trades older than this (by the exchange's clock) are loaded when a range reaches the present.
 */
export const TRADE_FINALITY_MS = 1_000;

/**
 * `api_trades`: aggregate trades over REST, keyed by aggregate id. The range is cut into time
 * slices paged concurrently; each slice finds its first trade with hour-long time windows (stepping
 * over exchange holes), then pages strictly by id (`fromId = last a + 1`, never by time: trades
 * sharing a millisecond would be lost) until a trade at or after the slice's end, or until the
 * exchange has nothing newer. Only trades with a time inside the workflow's range are produced,
 * each id once per slice, so the end marker's count is the number of distinct trades.
 */
export class TradeLoader implements Behaviour<LoaderMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<LoaderMessage>;
  readonly #telemetry: Telemetry;
  readonly #abort = new AbortController();
  readonly #range: TimeRange;
  #client: BinanceRestClient | undefined;
  #cursor: TradeCursor | undefined;
  #control: Subscription | undefined;
  #lastProgressAt = 0;
  #stopped = false;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<LoaderMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const type = parseStreamType(command.type);
    const range = parseTimeRangeText(command.time_range);
    if (type?.source !== 'api' || type.record !== 'agg_trade' || !range) {
      throw new ValidationError(`cannot load type ${command.type} over ${command.time_range} as aggregate trades`);
    }
    this.#range = range;
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
    this.#cursor = await loadTradeCursor(
      store,
      this.#cmd.queue_id,
      () => tradeSegments(this.#range.fromMs, this.#range.toMs, settings.loaderConcurrency ?? 4, SLICE_STEP_MS),
      clock.now(),
    );
    if (this.#cursor.done) {
      // A relaunch after the end: say so again, end marker included (both idempotent).
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
      message: `Loading ${this.#cmd.symbol} aggregate trades in ${this.#cursor.segments.length} slices`,
      records_written: this.#cursor.records,
      ...this.#expected(this.#cursor),
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
    this.#stopped = true;
    this.#abort.abort();
    await this.#control?.close();
  }

  /** One round: one request per unfinished slice, concurrently; the trades produced; then the cursor saved. */
  async #page(): Promise<void> {
    const cursor = this.#cursor;
    const client = this.#client;
    if (!cursor || !client || cursor.done) return;
    const { bus, store, metrics } = this.#deps;
    // Taken before the requests: nothing the exchange sends can be newer than its clock then.
    const finalBefore = Math.floor(client.serverNow()) - TRADE_FINALITY_MS;
    const active = cursor.segments.filter((s) => !s.done);
    let pages: AggTradeRow[][];
    try {
      pages = await Promise.all(active.map((s) => this.#fetch(client, s, finalBefore)));
    } catch (err) {
      await this.#fail(err);
      return;
    }
    const trades: AggTrade[] = [];
    active.forEach((segment, i) => this.#advance(segment, pages[i] ?? [], finalBefore, trades));
    if (trades.length > 0) {
      await bus.produce(
        this.#cmd.kafka_topic,
        trades.map((t) => ({ key: this.#cmd.symbol, value: JSON.stringify(t) })),
      );
      metrics.recordsFetched('api_trades', trades.length);
      cursor.records += trades.length;
    }
    cursor.done = cursor.segments.every((s) => s.done);
    cursor.updated_at = this.#deps.clock.now();
    if (cursor.done) await this.#finish(cursor);
    else {
      await saveTradeCursor(store, cursor);
      await this.#progress(cursor);
      this.#ctx.self.tell({ type: 'page' });
    }
  }

  /** By id once the slice's first trade is known; before that, the oldest trades of the next hour-long window. */
  #fetch(client: BinanceRestClient, s: TradeCursorSegment, finalBefore: number): Promise<AggTradeRow[]> {
    if (s.next_id !== null) return client.aggTrades(this.#cmd.symbol, { fromId: s.next_id, limit: PAGE_LIMIT });
    const end = Math.min(s.end, finalBefore);
    if (s.next_start >= end) return Promise.resolve([]);
    return client.aggTrades(this.#cmd.symbol, { startTime: s.next_start, endTime: Math.min(s.next_start + WINDOW_MS, end) - 1, limit: PAGE_LIMIT });
  }

  /** Takes the page's trades that belong to the slice and moves the slice's cursor past them. */
  #advance(s: TradeCursorSegment, rows: readonly AggTradeRow[], finalBefore: number, out: AggTrade[]): void {
    const end = Math.min(s.end, finalBefore);
    const byId = s.next_id !== null;
    for (const row of rows) {
      if (row.T >= end) {
        s.done = true;
        return;
      }
      // Defensive: an id already produced is never produced (or counted) twice.
      if (s.next_id !== null && row.a < s.next_id) continue;
      out.push(aggTradeFromRow(row, this.#cmd.symbol));
      s.next_id = row.a + 1;
      s.next_start = row.T;
    }
    if (byId) {
      // Fewer rows than asked for: nothing newer exists yet.
      if (rows.length < PAGE_LIMIT) s.done = true;
      return;
    }
    if (rows.length === 0) {
      // An empty window (a hole, or a quiet hour): search the next one.
      s.next_start = Math.min(s.next_start + WINDOW_MS, end);
      if (s.next_start >= end) s.done = true;
    }
  }

  async #finish(cursor: TradeCursor): Promise<void> {
    const { bus, store, clock } = this.#deps;
    const marker: EndOfStream = { end_of_stream: true, queue_id: this.#cmd.queue_id, records: cursor.records, timestamp: clock.now() / 1000 };
    await bus.produce(this.#cmd.kafka_topic, [{ key: this.#cmd.symbol, value: JSON.stringify(marker) }]);
    await saveTradeCursor(store, cursor);
    await this.#telemetry.publish('finished', {
      message: `Loaded ${cursor.records} trades`,
      records_written: cursor.records,
      expected_records: cursor.records,
      finished: true,
    });
    this.#ctx.stopSelf();
  }

  async #progress(cursor: TradeCursor): Promise<void> {
    const now = this.#deps.clock.now();
    if (now - this.#lastProgressAt < (this.#deps.settings.progressIntervalMs ?? 1000)) return;
    this.#lastProgressAt = now;
    await this.#telemetry.publish('loading', {
      message: `Fetched ${cursor.records} trades`,
      records_written: cursor.records,
      ...this.#expected(cursor),
    });
  }

  /** Trades are not evenly spread: the estimate extrapolates the density of the time covered so far. */
  #expected(cursor: TradeCursor): { expected_records?: number } {
    const now = this.#deps.clock.now();
    let total = 0;
    let covered = 0;
    for (const s of cursor.segments) {
      const end = Math.min(s.end, now);
      if (end <= s.start) continue;
      total += end - s.start;
      covered += s.done ? end - s.start : Math.max(0, Math.min(s.next_start, end) - s.start);
    }
    if (covered <= 0 || cursor.records === 0) return {};
    return { expected_records: Math.max(cursor.records, Math.round((cursor.records * total) / covered)) };
  }

  async #fail(err: unknown): Promise<void> {
    // Stopped or disposed while a request ran: the abort is no failure.
    if (this.#stopped || this.#abort.signal.aborted) return;
    const error = toErrorInfo(err);
    this.#ctx.log.error({ err }, 'loader failed');
    await this.#telemetry.publish('error', { message: error.message, error, records_written: this.#cursor?.records ?? 0 });
    this.#stopped = true;
    this.#ctx.stopSelf();
  }
}
