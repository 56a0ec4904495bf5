import { approximateIntervalCount, INTERVAL_MS, parseStreamType, parseTimeRangeText, ValidationError } from '../../protocol/index.ts';
import type { StartCommand, TimeRange } from '../../protocol/index.ts';
import type { ActorContext, Behaviour } from '../ports/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import { loadCursor, saveCursor } from '../loader/loader-cursor.ts';
import type { LoaderCursor } from '../loader/loader-cursor.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { CsvRowError } from './archive-csv.ts';
import { ArchiveDownloads } from './archive-downloads.ts';
import type { ArchiveDownloadOptions } from './archive-downloads.ts';
import { ArchiveFileCorruptError } from './archive-file-corrupt-error.ts';
import type { ArchiveFileResult } from './archive-file.ts';
import { periodBounds } from './archive-period.ts';
import { archiveSeriesFor } from './archive-series.ts';
import type { ArchiveRecord, ArchiveSeries } from './archive-series.ts';
import { batchesOf } from './batches-of.ts';
import { FileCheck } from './file-check.ts';
import { fallbackFor, planRange } from './range-planner.ts';
import type { FilePiece, RangePiece, RestPiece } from './range-planner.ts';

export type ArchiveLoaderMessage = { readonly type: 'step' } | StageControlMessage;

/** Records per produce call and per actor message: a stop waits at most one batch. */
const BATCH_RECORDS = 5_000;
/** Rows of a file checked per actor message (parsing only, nothing produced). */
const CHECK_ROWS = 50_000;

/** The piece being read: a file's rows checked first, then its records a batch per message. */
interface ActivePiece {
  readonly piece: RangePiece;
  readonly batches: Iterator<ArchiveRecord[]> | AsyncIterator<ArchiveRecord[]>;
  /** The zip's name, for a file piece. */
  readonly file: string | undefined;
  /** A file's rows still to be read through before any of its records is produced. */
  check: FileCheck | undefined;
  records: number;
}

const isoMinute = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

/**
 * `archive_candles_<interval>` and `archive_trades`: reads the range from the exchange's bulk archive
 * (monthly zips for whole months, daily zips for other whole days, each checked against its
 * `.CHECKSUM`) and REST for partial days and the recent tail. A missing or corrupt month falls back
 * to its days, a missing or corrupt day to REST, so the range still ends up exact. Records go to
 * the data topic keyed by symbol, the cursor is saved after each piece, and the stream ends with a
 * marker carrying the count, exactly as the REST loaders do. Only final records (closed candles)
 * with a time inside the range are produced.
 */
export class ArchiveLoader implements Behaviour<ArchiveLoaderMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<ArchiveLoaderMessage>;
  readonly #stage: StageLifecycle;
  readonly #range: TimeRange;
  readonly #series: ArchiveSeries;
  readonly #files: ArchiveDownloads;
  #client: BinanceRestClient | undefined;
  #cursor: LoaderCursor | undefined;
  #pieces: RangePiece[] = [];
  #active: ActivePiece | undefined;
  #listedAtMs: number | undefined;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<ArchiveLoaderMessage>, downloads: ArchiveDownloadOptions = {}) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const type = parseStreamType(command.type);
    const range = parseTimeRangeText(command.time_range);
    const series = type ? archiveSeriesFor(type, command.symbol) : undefined;
    if (!series || !range) throw new ValidationError(`cannot load type ${command.type} over ${command.time_range} from the archive`);
    this.#series = series;
    this.#range = range;
    this.#stage = new StageLifecycle(deps, command, ctx, {
      counters: () => ({ records_written: this.#cursor?.records ?? 0 }),
      release: () => this.#files.clear(),
    });
    const ahead = Math.min(series.prefetchFiles, (deps.settings.loaderConcurrency ?? 4) - 1);
    const set = { symbol: command.symbol, kind: series.kind, interval: series.interval };
    this.#files = new ArchiveDownloads(deps, ctx.log, set, this.#stage.signal, ahead, downloads);
  }

  async start(): Promise<void> {
    const { store, clock } = this.#deps;
    await this.#stage.open();
    // One segment: where the first unfinished piece starts. Pieces end on day boundaries (or at the
    // range's end), so planning again from there after a restart gives the same remaining pieces.
    const cursor = await loadCursor(store, this.#cmd.queue_id, () => [{ next_start: this.#range.fromMs, end: this.#range.toMs, done: false }], clock.now());
    this.#cursor = cursor;
    if (cursor.done) {
      // Already loaded (a relaunch after the end): say so again, end marker included. Both are idempotent.
      await this.#finish(cursor);
      return;
    }
    const client = await this.#stage.restClient();
    if (!client) return;
    this.#client = client;
    try {
      // Before the first record there are no files: knowing where it is spares a 404 per month and day.
      this.#listedAtMs = await this.#series.firstDataTime(client, this.#range.toMs);
    } catch (err) {
      await this.#stage.fail(err);
      return;
    }
    const plan = {
      fromMs: cursor.segments[0]?.next_start ?? this.#range.fromMs,
      toMs: this.#range.toMs,
      nowMs: client.serverNow(),
      listedAtMs: this.#listedAtMs,
      monthly: this.#series.monthlyFiles,
      daily: this.#series.dailyFiles,
    };
    // No first record before the range's end: nothing to read.
    this.#pieces = this.#listedAtMs === undefined ? [] : planRange(plan);
    const count = (source: RangePiece['source']) => this.#pieces.filter((p) => p.source === source).length;
    await this.#stage.telemetry.publish('started', {
      message: `Loading ${this.#cmd.symbol} ${this.#series.noun}: ${count('monthly')} monthly and ${count('daily')} daily archive files, ${count('rest')} REST ranges`,
      records_written: cursor.records,
      ...this.#expected(),
    });
    this.#ctx.self.tell({ type: 'step' });
  }

  async receive(message: ArchiveLoaderMessage): Promise<void> {
    if (message.type !== 'step') await this.#stage.control(message);
    else if (!this.#stage.stopped) await this.#step();
  }

  async dispose(): Promise<void> {
    await this.#stage.dispose();
  }

  /** One batch of the current piece (starting the next piece first if none is open). */
  async #step(): Promise<void> {
    const cursor = this.#cursor;
    if (!cursor || cursor.done) return;
    if (!this.#active) {
      const piece = this.#pieces[0];
      if (!piece) {
        cursor.done = true;
        await this.#finish(cursor);
        return;
      }
      this.#active = piece.source === 'rest' ? this.#openRest(piece) : await this.#openFile(piece);
      if (this.#stage.stopped) return;
      if (!this.#active) {
        this.#ctx.self.tell({ type: 'step' });
        return;
      }
    }
    const active = this.#active;
    if (active.check) {
      await this.#checkFile(active, active.check);
      if (!this.#stage.stopped) this.#ctx.self.tell({ type: 'step' });
      return;
    }
    let next: IteratorResult<ArchiveRecord[]>;
    try {
      next = await active.batches.next();
    } catch (err) {
      // A file's rows were all read once already: an error now is no bad file but a failure.
      await this.#stage.fail(err);
      return;
    }
    if (next.done) await this.#completePiece(active, cursor);
    else await this.#produce(active, next.value);
    if (!cursor.done) this.#ctx.self.tell({ type: 'step' });
  }

  #openRest(piece: RestPiece): ActivePiece {
    const client = this.#requireClient();
    return { piece, batches: this.#series.restPages(client, piece)[Symbol.asyncIterator](), file: undefined, check: undefined, records: 0 };
  }

  /**
   * Downloads and verifies the file, telling the supervisor meanwhile that the loader is alive; if
   * it is missing or corrupt, its fallback pieces take its place.
   */
  async #openFile(piece: FilePiece): Promise<ActivePiece | undefined> {
    const file = this.#files.fileName(piece);
    await this.#progress(`Reading ${file}`);
    let result: ArchiveFileResult;
    try {
      result = await this.#files.take(piece, this.#pieces.slice(1), () => this.#heartbeat(`Downloading ${file}`));
    } catch (err) {
      await this.#stage.fail(err);
      return undefined;
    }
    if (result.outcome === 'missing') {
      // An unreachable file was logged at warn where it was downloaded.
      if (!result.unreachable) this.#ctx.log.info({ file, reason: result.reason }, 'archive file missing: falling back');
      this.#fallBack(piece, 'missing');
      return undefined;
    }
    if (result.outcome === 'corrupt') {
      this.#ctx.log.warn({ file, err: result.error }, 'archive file corrupt: falling back');
      this.#fallBack(piece, 'corrupt');
      return undefined;
    }
    this.#ctx.log.debug({ file, zip_bytes: result.zipBytes }, 'archive file verified');
    const { csv } = result;
    const bounds = periodBounds(piece);
    return {
      piece,
      batches: batchesOf(this.#series.fileRecords(csv, bounds), BATCH_RECORDS),
      file,
      check: new FileCheck((onRepeat) => this.#series.fileRows(csv, bounds, onRepeat)),
      records: 0,
    };
  }

  /**
   * Reads a chunk of the file's rows. Any bad row (malformed, out of order, a repeated key with
   * other values) makes the whole file corrupt before a record of it went out; exact repeats are
   * skipped, so that each record is produced and counted once.
   */
  async #checkFile(active: ActivePiece, check: FileCheck): Promise<void> {
    const { piece, file } = active;
    let done: boolean;
    try {
      done = check.advance(CHECK_ROWS);
    } catch (err) {
      if (!(err instanceof CsvRowError) || piece.source === 'rest' || file === undefined) {
        await this.#stage.fail(err);
        return;
      }
      this.#ctx.log.warn({ file, err: new ArchiveFileCorruptError(file, err.message, { cause: err }) }, 'archive file corrupt: falling back');
      this.#fallBack(piece, 'corrupt');
      return;
    }
    if (!done) {
      await this.#progress(`Checking ${file ?? 'file'}`);
      return;
    }
    active.check = undefined;
    this.#deps.metrics.archiveFile('ok');
    if (check.repeats > 0) this.#ctx.log.warn({ file, repeated_rows: check.repeats }, 'archive file repeats rows: each read once');
  }

  /** A `loading` event from a timer, while the loader awaits a download. */
  #heartbeat(message: string): void {
    if (this.#stage.stopped) return;
    this.#progress(message).catch((err: unknown) => this.#ctx.log.warn({ err }, 'loading heartbeat not sent'));
  }

  #fallBack(piece: FilePiece, outcome: 'missing' | 'corrupt'): void {
    this.#deps.metrics.archiveFile(outcome);
    const replacement = fallbackFor(piece, { nowMs: this.#requireClient().serverNow(), listedAtMs: this.#listedAtMs, daily: this.#series.dailyFiles });
    const at = this.#pieces.indexOf(piece);
    this.#pieces.splice(at === -1 ? 0 : at, 1, ...replacement);
    this.#active = undefined;
  }

  async #produce(active: ActivePiece, records: readonly ArchiveRecord[]): Promise<void> {
    const now = this.#requireClient().serverNow();
    const { fromMs, toMs } = active.piece;
    const data = records.filter((r) => {
      const t = this.#series.time(r);
      return t >= fromMs && t < toMs && this.#series.isFinal(r, now);
    });
    if (data.length === 0) return;
    await this.#stage.produce(data);
    this.#deps.metrics.recordsFetched(active.file === undefined ? this.#series.sources.rest : this.#series.sources.file, data.length);
    active.records += data.length;
    const where = active.file ?? `${isoMinute(fromMs)}…${isoMinute(toMs)} over REST`;
    await this.#progress(`Reading ${where}`, active.records);
  }

  /** Its records are durable: count them once and move the cursor past the piece. */
  async #completePiece(active: ActivePiece, cursor: LoaderCursor): Promise<void> {
    this.#active = undefined;
    this.#pieces.shift();
    cursor.records += active.records;
    const segment = cursor.segments[0];
    if (segment) segment.next_start = active.piece.toMs;
    cursor.updated_at = this.#deps.clock.now();
    if (this.#pieces.length === 0) {
      cursor.done = true;
      if (segment) segment.done = true;
      await this.#finish(cursor);
      return;
    }
    await saveCursor(this.#deps.store, cursor);
  }

  async #finish(cursor: LoaderCursor): Promise<void> {
    await this.#stage.finish(cursor.records, () => saveCursor(this.#deps.store, cursor), { message: `Loaded ${cursor.records} ${this.#series.noun}` });
  }

  async #progress(message: string, pieceRecords = 0): Promise<void> {
    const records = (this.#cursor?.records ?? 0) + pieceRecords;
    await this.#stage.progress(records, () => ({ message, records_written: records, ...this.#expected() }));
  }

  #expected(): { expected_records?: number } {
    const interval = this.#series.interval;
    if (interval === undefined) return {};
    const lastClosed = (this.#client?.serverNow() ?? this.#deps.clock.now()) - INTERVAL_MS[interval] + 1;
    return { expected_records: approximateIntervalCount(interval, this.#range.fromMs, Math.min(this.#range.toMs, lastClosed)) };
  }

  #requireClient(): BinanceRestClient {
    if (!this.#client) throw new Error('archive loader used before start');
    return this.#client;
  }
}
