import type { Interval } from '../../protocol/index.ts';
import { CandleGrid } from './candle-grid.ts';
import type { Hole, HoleOwner } from './gap-report.ts';

/** A hole before its collection is chosen: `neighbour` is the index of the stored record beside it (-1: none stored). */
export type FoundHole = Omit<Hole, 'collection'> & { readonly neighbour: number };

/** A run of consecutive grid open times with no stored candle, `[fromMs, toMs)`. */
export interface MissingRun {
  readonly fromMs: number;
  /** The open time after the last missing one. */
  readonly toMs: number;
  readonly count: number;
  readonly neighbour: number;
}

/**
 * The open times of `interval`'s grid in `[fromMs, toMs)` with no stored candle, merged into runs.
 * `stored` is ascending; stored times off the grid are ignored.
 */
export function missingCandleRuns(stored: readonly number[], interval: Interval, fromMs: number, toMs: number): MissingRun[] {
  const runs: MissingRun[] = [];
  let i = 0;
  let run: { fromMs: number; count: number; neighbour: number } | undefined;
  let open = CandleGrid.ceil(interval, fromMs);
  for (; open < toMs; open = CandleGrid.next(interval, open)) {
    while (i < stored.length && (stored[i] ?? 0) < open) i++;
    if (stored[i] === open) {
      if (run) runs.push({ ...run, toMs: open });
      run = undefined;
      i++;
    } else if (run) {
      run.count++;
    } else {
      run = { fromMs: open, count: 1, neighbour: i > 0 ? i - 1 : i < stored.length ? i : -1 };
    }
  }
  if (run) runs.push({ ...run, toMs: open });
  return runs;
}

/**
 * Splits a run of missing open times by whether the exchange has a candle there: those it has are
 * ours to repair, the others are its own hole (maintenance, or before the listing).
 */
export function classifyCandleRun(run: MissingRun, interval: Interval, onExchange: ReadonlySet<number>): FoundHole[] {
  const holes: FoundHole[] = [];
  let current: { owner: HoleOwner; fromMs: number; count: number } | undefined;
  let open = run.fromMs;
  for (; open < run.toMs; open = CandleGrid.next(interval, open)) {
    const owner: HoleOwner = onExchange.has(open) ? 'ours' : 'exchange';
    if (current?.owner === owner) {
      current.count++;
      continue;
    }
    if (current) holes.push({ ...current, toMs: open, neighbour: run.neighbour });
    current = { owner, fromMs: open, count: 1 };
  }
  if (current) holes.push({ ...current, toMs: open, neighbour: run.neighbour });
  return holes;
}

/** Where the exchange's ids for a range begin and end: `[firstId, endId)` are the trades with a time in `[fromMs, toMs)`. */
export interface TradeBounds {
  readonly firstId: number;
  readonly endId: number;
  readonly fromMs: number;
  readonly toMs: number;
}

/**
 * Holes in stored trades, by id: the exchange numbers trades consecutively, so a missing id is
 * always ours, wherever it lies — the range's edges included, given the exchange's `bounds`. A long
 * stretch without any trade between consecutive stored ids is the exchange's own (maintenance),
 * reported when longer than `quietMs`. `ids` ascending, `times` index for index.
 */
export function findTradeHoles(ids: readonly number[], times: readonly number[], bounds: TradeBounds, quietMs: number): FoundHole[] {
  const holes: FoundHole[] = [];
  let prevId = bounds.firstId - 1;
  let prevTime = bounds.fromMs;
  let prevIndex = -1;
  const close = (id: number, time: number, endMs: number, index: number) => {
    const neighbour = prevIndex >= 0 ? prevIndex : index;
    if (id > prevId + 1) {
      holes.push({ owner: 'ours', fromMs: prevTime, toMs: endMs, count: id - prevId - 1, fromId: prevId + 1, toId: id - 1, neighbour });
      return;
    }
    const quietFrom = prevIndex >= 0 ? prevTime + 1 : bounds.fromMs;
    if (time - quietFrom > quietMs) holes.push({ owner: 'exchange', fromMs: quietFrom, toMs: time, count: 0, neighbour });
  };
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] ?? 0;
    const time = times[i] ?? 0;
    if (id < bounds.firstId || id >= bounds.endId) continue;
    close(id, time, time + 1, i);
    prevId = id;
    prevTime = time;
    prevIndex = i;
  }
  close(bounds.endId, bounds.toMs, bounds.toMs, -1);
  return holes;
}
