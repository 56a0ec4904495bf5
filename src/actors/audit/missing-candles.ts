import { sameSeriesTypes, seriesCollectionPrefix } from '../../protocol/index.ts';
import type { Interval, TimeRange } from '../../protocol/index.ts';
import type { Store } from '../ports/index.ts';
import { CandleGrid } from './candle-grid.ts';
import { readStoredChunks, seriesCollections } from './stored-series.ts';

/** Time span read at once (memory holds one chunk's open times). */
const CHUNK_MS = 30 * 86_400_000;

/**
 * The stretch of `[fromMs, toMs)` a stored candle series lacks, from its first missing open time
 * to just after its last (one span, so one backfill loads it; what is stored inside it is loaded
 * again and upserted unchanged), or undefined when every candle of the grid closed before `nowMs`
 * is stored. Reads the store only: an exchange hole (maintenance) looks missing too, and costs a
 * request that finds nothing.
 */
export async function missingCandleSpan(store: Store, symbol: string, interval: Interval, range: TimeRange, nowMs: number): Promise<TimeRange | undefined> {
  const types = sameSeriesTypes({ source: 'api', record: 'candle', interval });
  const collections = await seriesCollections(store, types.map((t) => seriesCollectionPrefix(symbol, t)));
  // Open times in the range (below its end on the grid) of candles that have closed by now.
  const end = Math.min(CandleGrid.ceil(interval, range.toMs), CandleGrid.floor(interval, nowMs));
  let expected = CandleGrid.ceil(interval, range.fromMs);
  if (expected >= end) return undefined;
  let first: number | undefined;
  let last: number | undefined;
  const missing = (open: number) => {
    first ??= open;
    last = open;
  };
  if (collections.length > 0) {
    const read = { store, collections, fields: { sortField: 'open_time', idField: 'open_time' }, fromMs: expected, toMs: end, chunkMs: CHUNK_MS };
    for await (const chunk of readStoredChunks(read)) {
      for (const open of chunk.keys) {
        for (; expected < open && expected < end; expected = CandleGrid.next(interval, expected)) missing(expected);
        if (open === expected) expected = CandleGrid.next(interval, expected);
      }
    }
  }
  for (; expected < end; expected = CandleGrid.next(interval, expected)) missing(expected);
  return first === undefined || last === undefined ? undefined : { fromMs: first, toMs: CandleGrid.next(interval, last) };
}
