import { INTERVAL_MS } from '../../protocol/index.ts';
import { periodBounds } from './archive-period.ts';
import type { ArchiveFileRef } from './archive-paths.ts';

/**
 * A kline row of the archive is about 150 bytes (12 fields, a few more with microsecond times);
 * 512 leaves room for prices and volumes of any magnitude.
 */
export const MAX_KLINE_ROW_BYTES = 512;
/** A header line, and candles on the period's edges. */
const SPARE_ROWS = 16;

/**
 * The most bytes a file's CSV may unzip to: `cap` (`ARCHIVE_MAX_UNZIPPED_BYTES`) and, for klines,
 * no more than the period's candles can fill (a month of 1m candles: ~23 MB), so that a bomb in a
 * small file is caught at that file's size, not at the cap.
 */
export function csvSizeLimit(ref: ArchiveFileRef, cap: number): number {
  if (ref.kind !== 'klines' || ref.interval === undefined) return cap;
  const { startMs, endMs } = periodBounds(ref.period);
  const rows = Math.ceil((endMs - startMs) / INTERVAL_MS[ref.interval]) + SPARE_ROWS;
  return Math.min(cap, rows * MAX_KLINE_ROW_BYTES);
}
