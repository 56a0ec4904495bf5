import type { Interval } from '../../protocol/index.ts';
import type { Logger } from '../ports/index.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { DEFAULT_MAX_CSV_BYTES, DEFAULT_MAX_ZIP_BYTES, readArchiveFile } from './archive-file.ts';
import type { ArchiveFileResult } from './archive-file.ts';
import { archiveFileName } from './archive-paths.ts';
import type { ArchiveFileRef, ArchiveKind } from './archive-paths.ts';
import { ArchiveReachability } from './archive-reachability.ts';
import { csvSizeLimit } from './csv-size-limit.ts';
import { FilePrefetcher } from './file-prefetcher.ts';
import type { FilePiece, RangePiece } from './range-planner.ts';
import { withHeartbeat } from './with-heartbeat.ts';

/** How the archive loader waits on downloads; the defaults suit the real archive. */
export interface ArchiveDownloadOptions {
  /**
   * `loading` goes out at least this often while the loader waits on a download, well inside the
   * workflow supervisor's stall timeout (`STALL_TIMEOUT_MS`). @defaultValue 5000
   */
  readonly heartbeatMs?: number;
  /** Longest wait for an answer, or for more of its body, per attempt. @defaultValue 60000 */
  readonly timeoutMs?: number;
  /** Longest one attempt may take in all, however steadily bytes arrive. @defaultValue 600000 */
  readonly attemptTimeoutMs?: number;
}

/** Which series' files: the symbol, the data set, the kline interval. */
export interface ArchiveFileSet {
  readonly symbol: string;
  readonly kind: ArchiveKind;
  readonly interval: Interval | undefined;
}

/**
 * The archive loader's downloads: a few files ahead of the one being read, each within a bounded
 * budget (a stalled host costs a few minutes per file, then the file counts as missing and falls
 * back), `loading` heartbeats while the loader waits, and a warning when the host answers nothing.
 */
export class ArchiveDownloads {
  readonly #deps: Pick<StageDeps, 'http' | 'clock' | 'settings'>;
  readonly #log: Logger;
  readonly #set: ArchiveFileSet;
  readonly #signal: AbortSignal;
  readonly #options: ArchiveDownloadOptions;
  readonly #prefetcher: FilePrefetcher;
  readonly #reachability: ArchiveReachability;

  /** @param ahead files downloaded ahead of the one being read */
  constructor(deps: Pick<StageDeps, 'http' | 'clock' | 'settings'>, log: Logger, set: ArchiveFileSet, signal: AbortSignal, ahead: number, options: ArchiveDownloadOptions = {}) {
    this.#deps = deps;
    this.#log = log;
    this.#set = set;
    this.#signal = signal;
    this.#options = options;
    this.#prefetcher = new FilePrefetcher((piece) => this.#download(piece), ahead, log);
    this.#reachability = new ArchiveReachability(log, deps.settings.binanceArchiveUrl);
  }

  /** e.g. `BTCUSDT-1m-2024-07.zip`. */
  fileName(piece: FilePiece): string {
    return archiveFileName(this.#ref(piece));
  }

  /**
   * The piece's file (prefetched, or downloaded now), with `heartbeat` called every `heartbeatMs`
   * while it is awaited; then the next files of `upcoming` start downloading.
   */
  async take(piece: FilePiece, upcoming: readonly RangePiece[], heartbeat: () => void): Promise<ArchiveFileResult> {
    const result = await withHeartbeat(this.#deps.clock, this.#prefetcher.take(piece), this.#options.heartbeatMs ?? 5_000, heartbeat);
    // In reading order, so that "in a row" means files one after another.
    this.#reachability.record(result);
    this.#prefetcher.prefetch(upcoming);
    return result;
  }

  /** Forgets pending downloads (their requests end with the stage's signal). */
  clear(): void {
    this.#prefetcher.clear();
  }

  #ref(piece: FilePiece): ArchiveFileRef {
    return { symbol: this.#set.symbol, kind: this.#set.kind, interval: this.#set.interval, period: piece };
  }

  #download(piece: FilePiece): Promise<ArchiveFileResult> {
    const { http, clock, settings } = this.#deps;
    const { timeoutMs = 60_000, attemptTimeoutMs = 600_000 } = this.#options;
    const ref = this.#ref(piece);
    return readArchiveFile(ref, {
      http,
      clock,
      log: this.#log,
      baseUrl: settings.binanceArchiveUrl,
      retry: settings.retry.archiveDownload,
      timeoutMs,
      attemptTimeoutMs,
      maxZipBytes: settings.archiveMaxDownloadBytes ?? DEFAULT_MAX_ZIP_BYTES,
      maxCsvBytes: csvSizeLimit(ref, settings.archiveMaxUnzippedBytes ?? DEFAULT_MAX_CSV_BYTES),
      signal: this.#signal,
    });
  }
}
