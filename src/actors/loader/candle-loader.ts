import {
  candleFromKline,
  parseStreamType,
  parseTimeRangeText,
  ValidationError,
  INTERVAL_MS,
  approximateIntervalCount } from '../../protocol/index.ts';
import type { Candle, Interval, KlineRow, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { ActorContext, Behaviour } from '../ports/index.ts';
import { settledBefore } from '../exchange/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { loadCursor, saveCursor, splitRange } from './loader-cursor.ts';
import type { LoaderCursor } from './loader-cursor.ts';

export type LoaderMessage = { readonly type: 'page' } | StageControlMessage;

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
  readonly #stage: StageLifecycle;
  readonly #interval: Interval;
  readonly #range: TimeRange;
  #client: BinanceRestClient | undefined;
  #cursor: LoaderCursor | undefined;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<LoaderMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const type = parseStreamType(command.type);
    const range = parseTimeRangeText(command.time_range);
    if (type?.record !== 'candle' || !range) throw new ValidationError(`cannot load type ${command.type} over ${command.time_range}`);
    this.#interval = type.interval;
    this.#range = range;
    this.#stage = new StageLifecycle(deps, command, ctx, { counters: () => ({ records_written: this.#cursor?.records ?? 0 }) });
  }

  async start(): Promise<void> {
    const { store, clock, settings } = this.#deps;
    await this.#stage.open();
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
    this.#client = await this.#stage.restClient();
    if (!this.#client) return;
    await this.#stage.telemetry.publish('started', {
      message: `Loading ${this.#cmd.symbol} ${this.#interval} in ${this.#cursor.segments.length} slices`,
      records_written: this.#cursor.records,
      expected_records: this.#expected(),
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

  /** One round: the next page of every unfinished slice, fetched concurrently, produced, then the cursor saved. */
  async #page(): Promise<void> {
    const cursor = this.#cursor;
    const client = this.#client;
    if (!cursor || !client || cursor.done) return;
    const { store, metrics } = this.#deps;
    const active = cursor.segments.filter((s) => !s.done);
    let pages: KlineRow[][];
    try {
      pages = await Promise.all(active.map((s) => client.klines(this.#cmd.symbol, this.#interval, s.next_start, s.end - 1, PAGE_LIMIT)));
    } catch (err) {
      await this.#stage.fail(err);
      return;
    }
    const now = client.serverNow();
    const candles: Candle[] = [];
    active.forEach((segment, i) => {
      const rows = pages[i] ?? [];
      // The still-open candle has partial values: only candles certainly closed are data.
      const settled = settledBefore(rows, now);
      const closed = rows.filter((r) => r[0] >= segment.next_start && r[0] < segment.end && r[6] < settled);
      for (const r of closed) candles.push(candleFromKline(r, this.#cmd.symbol, this.#interval));
      const last = closed.at(-1);
      if (last) segment.next_start = last[0] + 1;
      segment.done = rows.length < PAGE_LIMIT || closed.length < rows.length;
    });
    if (candles.length > 0) {
      await this.#stage.produce(candles);
      metrics.recordsFetched('api_candles', candles.length);
      cursor.records += candles.length;
    }
    cursor.done = cursor.segments.every((s) => s.done);
    cursor.updated_at = now;
    if (cursor.done) await this.#finish(cursor);
    else {
      await saveCursor(store, cursor);
      await this.#stage.progress(cursor.records, () => ({
        message: `Fetched ${cursor.records} candles`,
        records_written: cursor.records,
        expected_records: this.#expected(),
      }));
      this.#ctx.self.tell({ type: 'page' });
    }
  }

  async #finish(cursor: LoaderCursor): Promise<void> {
    await this.#stage.finish(cursor.records, () => saveCursor(this.#deps.store, cursor), { message: `Loaded ${cursor.records} candles` });
  }

  #expected(): number {
    return approximateIntervalCount(this.#interval, this.#range.fromMs, Math.min(this.#range.toMs, this.#deps.clock.now() - INTERVAL_MS[this.#interval] + 1));
  }
}
