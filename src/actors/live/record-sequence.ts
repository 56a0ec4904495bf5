import type { TimeRange } from '../../protocol/index.ts';
import type { KeyedRecord, LiveSeries } from './live-series.ts';

/** Live events held while REST catches up; past this they are dropped and fetched over REST later. */
const MAX_HELD = 200_000;

/**
 * The order a live loader hands records on in: strictly by key, each key once, whether it came live
 * or over REST. Live events wait here until they follow the last key handled; one that does not
 * marks a gap, filled over REST before it. Only records inside the range are handed on.
 */
export class RecordSequence {
  readonly #series: LiveSeries;
  readonly #range: TimeRange;
  #held: KeyedRecord[] = [];
  /** The last key handled (handed on, or passed as outside the range); null before the start is known. */
  lastKey: number | null;
  /** A record at or past the range's end followed the last one: nothing before the end is missing. */
  complete = false;

  constructor(series: LiveSeries, range: TimeRange, lastKey: number | null) {
    this.#series = series;
    this.#range = range;
    this.lastKey = lastKey;
  }

  get held(): number {
    return this.#held.length;
  }

  /** Holds a live event; false when too many are held (the gap it leaves is filled over REST). */
  hold(record: KeyedRecord): boolean {
    if (this.#held.length >= MAX_HELD) return false;
    this.#held.push(record);
    return true;
  }

  /** When live data began before the range, its first event fixes where the series starts. */
  startFromLive(): boolean {
    const first = this.#held[0];
    if (this.lastKey !== null || !first || first.time >= this.#range.fromMs) return false;
    this.lastKey = first.key - 1;
    return true;
  }

  /** The first held event not handled yet (duplicates of handled keys dropped). */
  next(): KeyedRecord | undefined {
    const last = this.lastKey;
    if (last === null) return this.#held[0];
    let i = 0;
    while (i < this.#held.length && (this.#held[i]?.key ?? Infinity) <= last) i++;
    if (i > 0) this.#held.splice(0, i);
    return this.#held[0];
  }

  /** True when the next held event does not follow the last key: something between is missing. */
  gapAhead(): boolean {
    const next = this.next();
    return next !== undefined && this.lastKey !== null && !this.#series.follows(this.lastKey, next.key);
  }

  /** Hands on up to `max` held events in order, stopping at a gap. */
  drain(max: number, handOn: (r: KeyedRecord) => void): void {
    let i = 0;
    const n = Math.min(this.#held.length, max);
    for (; i < n; i++) {
      const r = this.#held[i];
      if (!r || this.lastKey === null) break;
      if (r.key <= this.lastKey) continue;
      if (!this.#series.follows(this.lastKey, r.key)) break;
      if (this.accept(r)) handOn(r);
    }
    this.#held.splice(0, i);
  }

  /** Moves past a record (live or REST) that follows the last key; true when it lies in the range. */
  accept(r: KeyedRecord): boolean {
    this.lastKey = r.key;
    if (r.doneBefore >= this.#range.toMs) this.complete = true;
    return r.time >= this.#range.fromMs && r.time < this.#range.toMs;
  }

  /** The exchange has nothing else up to `key` (a REST page said so). */
  coveredTo(key: number): void {
    if (this.lastKey !== null && key > this.lastKey) this.lastKey = key;
  }

  clear(): void {
    this.#held = [];
  }
}
