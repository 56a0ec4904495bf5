import type { Logger } from '../ports/index.ts';
import type { ArchiveFileResult } from './archive-file.ts';

/**
 * Notices an archive host that answers nothing at all. Each unreachable file already falls back to
 * REST and is logged at warn; a run of them (not 404s: those are files not published) most likely
 * means a wrong `BINANCE_ARCHIVE_URL` or a blocked host, and is said once, plainly. The load goes on
 * over REST either way: slower, but complete.
 */
export class ArchiveReachability {
  readonly #log: Logger;
  readonly #host: string;
  readonly #threshold: number;
  #unreachableInARow = 0;
  #warned = false;

  /** @param threshold unreachable files in a row that make the warning @defaultValue 3 */
  constructor(log: Logger, baseUrl: string, threshold = 3) {
    this.#log = log;
    this.#host = hostOf(baseUrl);
    this.#threshold = threshold;
  }

  /** Files in the order the loader reads them; every answer (a file, a 404, a corrupt zip) ends a run. */
  record(result: ArchiveFileResult): void {
    if (result.outcome !== 'missing' || !result.unreachable) {
      this.#unreachableInARow = 0;
      return;
    }
    this.#unreachableInARow++;
    if (this.#warned || this.#unreachableInARow < this.#threshold) return;
    this.#warned = true;
    this.#log.warn(
      { archive_host: this.#host, files: this.#unreachableInARow, reason: result.reason },
      'archive host looks unreachable: check BINANCE_ARCHIVE_URL; loading over REST instead, which is much slower',
    );
  }
}

/** The host alone: a URL may carry credentials, which do not belong in a log. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}
