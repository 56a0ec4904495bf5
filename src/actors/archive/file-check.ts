import type { OnRepeat } from './archive-csv.ts';

/**
 * Reads an archive file's rows through once before any of its records is produced, a chunk per
 * call: a bad row anywhere then makes the whole file fall back, instead of leaving the rows before
 * it produced (and uncounted), and a stop still waits at most one chunk. The CSV is in memory
 * already; its records are parsed again when produced rather than held, as a busy day of trades
 * is millions of them.
 */
export class FileCheck {
  readonly #rows: Iterator<unknown>;
  #repeats = 0;

  constructor(rows: (onRepeat: OnRepeat) => Iterable<unknown>) {
    this.#rows = rows(() => {
      this.#repeats++;
    })[Symbol.iterator]();
  }

  /** Rows skipped so far as exact repeats of the row before them. */
  get repeats(): number {
    return this.#repeats;
  }

  /** Reads up to `maxRows` more rows; true once the file is read through. Throws the reader's `CsvRowError`. */
  advance(maxRows: number): boolean {
    for (let i = 0; i < maxRows; i++) {
      if (this.#rows.next().done === true) return true;
    }
    return false;
  }
}
