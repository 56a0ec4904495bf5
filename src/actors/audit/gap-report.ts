/** Whose hole: records the exchange has and we lack (`ours`), or a stretch the exchange itself has nothing in (`exchange`, maintenance). */
export type HoleOwner = 'ours' | 'exchange';

/**
 * One hole in a stored series.
 * - Candles: `[fromMs, toMs)` holds `count` open times of the interval's grid with no stored candle.
 * - Trades, ours: the ids `fromId..toId` are missing (`count` of them); they lie between the stored
 *   trades around the hole, at times in `[fromMs, toMs)`.
 * - Trades, the exchange's: no trade at all in `[fromMs, toMs)` (stored ids on both sides are
 *   consecutive), reported when longer than the quiet threshold; `count` is 0.
 */
export interface Hole {
  readonly owner: HoleOwner;
  readonly fromMs: number;
  readonly toMs: number;
  readonly count: number;
  readonly fromId?: number;
  readonly toId?: number;
  /** Ours only: the collection a repair writes into (that of the stored record next to the hole). */
  readonly collection?: string;
}

/** What an audit found for one series over `[fromMs, toMs)`. */
export interface GapReport {
  readonly symbol: string;
  readonly type: string;
  readonly fromMs: number;
  /** The end audited: the range's end, or the exchange's present when the range reaches past it. */
  readonly toMs: number;
  /** Distinct stored records in the audited range. */
  readonly stored: number;
  /** Sorted by time. */
  readonly holes: readonly Hole[];
}

/** What a repair wrote. */
export interface RepairResult {
  readonly holes: number;
  readonly records: number;
  readonly collections: readonly string[];
}

export function holesOf(report: GapReport, owner: HoleOwner): Hole[] {
  return report.holes.filter((h) => h.owner === owner);
}
