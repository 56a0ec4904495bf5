import type { Logger } from '../ports/index.ts';
import type { ArchiveFileResult } from './archive-file.ts';
import type { FilePiece, RangePiece } from './range-planner.ts';

/**
 * Downloads the next few archive files while the current one is parsed and produced, so download
 * latency does not add up file after file. Bounded: each download (zip and CSV) is held in memory.
 */
export class FilePrefetcher {
  readonly #read: (piece: FilePiece) => Promise<ArchiveFileResult>;
  readonly #ahead: number;
  readonly #log: Logger;
  readonly #pending = new Map<FilePiece, Promise<ArchiveFileResult>>();

  /** @param ahead files downloaded ahead of the one being read */
  constructor(read: (piece: FilePiece) => Promise<ArchiveFileResult>, ahead: number, log: Logger) {
    this.#read = read;
    this.#ahead = Math.max(0, ahead);
    this.#log = log;
  }

  /** The piece's file: its prefetched download, or a download started now. */
  take(piece: FilePiece): Promise<ArchiveFileResult> {
    const pending = this.#pending.get(piece);
    this.#pending.delete(piece);
    return pending ?? this.#read(piece);
  }

  /** Starts downloading the first file pieces of `upcoming` (the pieces after the current one). */
  prefetch(upcoming: readonly RangePiece[]): void {
    const next = upcoming.filter((p): p is FilePiece => p.source !== 'rest').slice(0, this.#ahead);
    for (const piece of next) {
      if (this.#pending.has(piece)) continue;
      const pending = this.#read(piece);
      // Awaited when its turn comes; until then a rejection (an abort on stop) must not go unhandled.
      pending.catch((err: unknown) => this.#log.debug({ err }, 'archive prefetch ended early'));
      this.#pending.set(piece, pending);
    }
  }

  /** Forgets pending downloads (their requests are aborted by the loader's signal). */
  clear(): void {
    this.#pending.clear();
  }
}
