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
  const scan = new MissingCandleScan(interval, fromMs, toMs);
  for (const [i, open] of stored.entries()) scan.push(open, i);
  return scan.end();
}

/**
 * {@link missingCandleRuns} fed one stored open time at a time (ascending, distinct), so a series
 * can be read in chunks: a run crossing a chunk's edge stays one run. `ref` names the stored record
 * (an index, a collection); a run's `neighbour` is the ref of the record before it, or after it when
 * none is before, or -1.
 */
export class MissingCandleScan {
  readonly #interval: Interval;
  readonly #toMs: number;
  readonly #runs: MissingRun[] = [];
  #open: number;
  #run: { fromMs: number; count: number; neighbour: number } | undefined;
  #prev = -1;

  constructor(interval: Interval, fromMs: number, toMs: number) {
    this.#interval = interval;
    this.#toMs = toMs;
    this.#open = CandleGrid.ceil(interval, fromMs);
  }

  push(open: number, ref: number): void {
    this.#missUntil(open, ref);
    if (this.#open === open && open < this.#toMs) {
      this.#close();
      this.#open = CandleGrid.next(this.#interval, open);
    }
    this.#prev = ref;
  }

  end(): MissingRun[] {
    this.#missUntil(this.#toMs, -1);
    this.#close();
    return this.#runs;
  }

  /** Grid open times before `limit` (and the range's end) are missing: none stored is before `limit`. */
  #missUntil(limit: number, next: number): void {
    for (; this.#open < limit && this.#open < this.#toMs; this.#open = CandleGrid.next(this.#interval, this.#open)) {
      if (this.#run) this.#run.count++;
      else this.#run = { fromMs: this.#open, count: 1, neighbour: this.#prev >= 0 ? this.#prev : next };
    }
  }

  #close(): void {
    if (this.#run) this.#runs.push({ ...this.#run, toMs: this.#open });
    this.#run = undefined;
  }
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
  const scan = new TradeHoleScan(bounds, quietMs);
  for (const [i, id] of ids.entries()) scan.push(id, times[i] ?? 0, i);
  return scan.end();
}

/**
 * {@link findTradeHoles} fed one stored trade at a time (ids ascending, distinct), so a series can
 * be read in chunks: a hole crossing a chunk's edge is found once. `ref` names the stored record; a
 * hole's `neighbour` is the ref of the trade before it, or after it when none is before, or -1.
 */
export class TradeHoleScan {
  readonly #bounds: TradeBounds;
  readonly #quietMs: number;
  readonly #holes: FoundHole[] = [];
  #prevId: number;
  #prevTime: number;
  #prev = -1;

  constructor(bounds: TradeBounds, quietMs: number) {
    this.#bounds = bounds;
    this.#quietMs = quietMs;
    this.#prevId = bounds.firstId - 1;
    this.#prevTime = bounds.fromMs;
  }

  push(id: number, time: number, ref: number): void {
    if (id < this.#bounds.firstId || id >= this.#bounds.endId) return;
    this.#close(id, time, time + 1, ref);
    this.#prevId = id;
    this.#prevTime = time;
    this.#prev = ref;
  }

  end(): FoundHole[] {
    this.#close(this.#bounds.endId, this.#bounds.toMs, this.#bounds.toMs, -1);
    return this.#holes;
  }

  #close(id: number, time: number, endMs: number, ref: number): void {
    const seen = this.#prev >= 0;
    const neighbour = seen ? this.#prev : ref;
    const prevId = this.#prevId;
    if (id > prevId + 1) {
      this.#holes.push({ owner: 'ours', fromMs: this.#prevTime, toMs: endMs, count: id - prevId - 1, fromId: prevId + 1, toId: id - 1, neighbour });
      return;
    }
    const quietFrom = seen ? this.#prevTime + 1 : this.#bounds.fromMs;
    if (time - quietFrom > this.#quietMs) this.#holes.push({ owner: 'exchange', fromMs: quietFrom, toMs: time, count: 0, neighbour });
  }
}
