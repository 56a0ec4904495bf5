import type { SeriesRecord, SeriesSpec } from '../../protocol/index.ts';
import { mergeSorted } from '../query/index.ts';

/**
 * The replay order of two records of one series (of any symbols): event time, then symbol, then the
 * exchange's id (update id for depth), then the document key. Every part comes from the record
 * itself, so two replays of the same stored range give the same sequence.
 */
export function compareReplayOrder(spec: SeriesSpec, a: SeriesRecord, b: SeriesRecord): number {
  const byTime = spec.time(a) - spec.time(b);
  if (byTime !== 0) return byTime;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  const bySequence = spec.sequence(a) - spec.sequence(b);
  if (bySequence !== 0) return bySequence;
  const ka = spec.key(a);
  const kb = spec.key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Merges the record streams of several symbols (each already in its series' order: time, id) into
 * the replay order, k-way: one record per symbol in memory, whatever the range's length.
 */
export function mergeReplayOrder(spec: SeriesSpec, streams: ReadonlyArray<AsyncIterator<SeriesRecord>>): AsyncGenerator<SeriesRecord> {
  return mergeSorted(streams, (a, b) => compareReplayOrder(spec, a, b));
}
