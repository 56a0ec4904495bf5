import { aggTradeFromRow, parseStreamType, parseTimeRangeText, ValidationError } from '../../protocol/index.ts';
import type { AggTrade, AggTradeRow, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { ActorContext, Behaviour } from '../ports/index.ts';
import { AGG_TRADES_WINDOW_MS, firstAggTrades } from '../exchange/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import type { LoaderMessage } from './candle-loader.ts';
import { loadTradeCursor, saveTradeCursor, tradeSegments } from './trade-cursor.ts';
import type { TradeCursor, TradeCursorSegment } from './trade-cursor.ts';

const PAGE_LIMIT = 1000;
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
  readonly #stage: StageLifecycle;
  readonly #range: TimeRange;
  #client: BinanceRestClient | undefined;
  #cursor: TradeCursor | undefined;

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
    this.#stage = new StageLifecycle(deps, command, ctx, { counters: () => ({ records_written: this.#cursor?.records ?? 0 }) });
  }

  async start(): Promise<void> {
    const { store, clock, settings } = this.#deps;
    await this.#stage.open();
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
    this.#client = await this.#stage.restClient();
    if (!this.#client) return;
    await this.#stage.telemetry.publish('started', {
      message: `Loading ${this.#cmd.symbol} aggregate trades in ${this.#cursor.segments.length} slices`,
      records_written: this.#cursor.records,
      ...this.#expected(this.#cursor),
    });
    this.#ctx.self.tell({ type: 'page' });
  }

  async receive(message: LoaderMessage): Promise<void> {
    if (message.type !== 'page') await this.#stage.control(message);
    else if (!this.#stage.stopped) await this.#page();
  }

  async dispose(): Promise<void> {
    await this.#stage.dispose();
  }

  /** One round: one request per unfinished slice, concurrently; the trades produced; then the cursor saved. */
  async #page(): Promise<void> {
    const cursor = this.#cursor;
    const client = this.#client;
    if (!cursor || !client || cursor.done) return;
    const { store, metrics } = this.#deps;
    // Taken before the requests: nothing the exchange sends can be newer than its clock then.
    const finalBefore = Math.floor(client.serverNow()) - TRADE_FINALITY_MS;
    const active = cursor.segments.filter((s) => !s.done);
    let pages: AggTradeRow[][];
    try {
      pages = await Promise.all(active.map((s) => this.#fetch(client, s, finalBefore)));
    } catch (err) {
      await this.#stage.fail(err);
      return;
    }
    const trades: AggTrade[] = [];
    active.forEach((segment, i) => this.#advance(segment, pages[i] ?? [], finalBefore, trades));
    if (trades.length > 0) {
      await this.#stage.produce(trades);
      metrics.recordsFetched('api_trades', trades.length);
      cursor.records += trades.length;
    }
    cursor.done = cursor.segments.every((s) => s.done);
    cursor.updated_at = this.#deps.clock.now();
    if (cursor.done) await this.#finish(cursor);
    else {
      await saveTradeCursor(store, cursor);
      await this.#stage.progress(cursor.records, () => ({
        message: `Fetched ${cursor.records} trades`,
        records_written: cursor.records,
        ...this.#expected(cursor),
      }));
      this.#ctx.self.tell({ type: 'page' });
    }
  }

  /** By id once the slice's first trade is known; before that, the oldest trades of the next hour-long window. */
  #fetch(client: BinanceRestClient, s: TradeCursorSegment, finalBefore: number): Promise<AggTradeRow[]> {
    if (s.next_id !== null) return client.aggTrades(this.#cmd.symbol, { fromId: s.next_id, limit: PAGE_LIMIT });
    // One window a round: the slice's cursor keeps where the search stands.
    return firstAggTrades(client, this.#cmd.symbol, { fromMs: s.next_start, untilMs: Math.min(s.end, finalBefore), maxWindows: 1, limit: PAGE_LIMIT });
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
      s.next_start = Math.min(s.next_start + AGG_TRADES_WINDOW_MS, end);
      if (s.next_start >= end) s.done = true;
    }
  }

  async #finish(cursor: TradeCursor): Promise<void> {
    await this.#stage.finish(cursor.records, () => saveTradeCursor(this.#deps.store, cursor), { message: `Loaded ${cursor.records} trades` });
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
}
