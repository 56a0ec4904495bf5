import { DAY_MS, dayText, monthText, startOfDay, startOfMonth, startOfNextMonth } from './archive-period.ts';
import type { ArchivePeriod } from './archive-period.ts';

/** Part of a range read from one archive file: records in [fromMs, toMs) of the file's period. */
export type FilePiece = ArchivePeriod & { readonly fromMs: number; readonly toMs: number };

/** Part of a range read over REST: partial edge days, the recent tail, fallbacks. */
export interface RestPiece {
  readonly source: 'rest';
  readonly fromMs: number;
  readonly toMs: number;
}

export type RangePiece = FilePiece | RestPiece;

export interface PlanOptions {
  readonly fromMs: number;
  /** Exclusive. May lie in the future: the REST tail then ends there and loads what exists. */
  readonly toMs: number;
  /** The exchange's clock: a monthly file exists for months before now's month, a daily one for days before now's day. */
  readonly nowMs: number;
  /**
   * Where the symbol's data begins (its listing): nothing exists before it, and the file of the
   * period holding it starts there, so that period still counts as whole. @defaultValue unknown
   */
  readonly listedAtMs?: number | undefined;
  /** Read whole months from monthly files; otherwise their days from daily files. @defaultValue true */
  readonly monthly?: boolean | undefined;
  /**
   * Read whole days outside whole months from daily files; otherwise over REST. The archive
   * publishes daily klines for intervals up to 1d only (3d, 1w and 1mo are monthly files alone).
   * @defaultValue true
   */
  readonly daily?: boolean | undefined;
}

type Granularity = 'monthly' | 'daily';

/**
 * Splits `[fromMs, toMs)` into ordered, contiguous, non-overlapping pieces: a monthly file for each
 * whole calendar month (UTC) inside the range that ended before now's month; a daily file for each
 * other whole day that ended before now's day; REST for the rest (partial days at the edges, the
 * recent tail), adjacent REST pieces merged. Pure: the same inputs give the same plan.
 * With `monthly: false` whole months are read as days too; with `daily: false` days outside
 * whole months are read over REST.
 */
export function planRange(opts: PlanOptions): RangePiece[] {
  return plan(opts, granularities(opts.monthly !== false, opts.daily !== false));
}

/**
 * What replaces a file that is missing or corrupt: a month's days (those not yet published, and
 * partial ones, over REST; all of them over REST with `daily: false`); a day over REST.
 */
export function fallbackFor(piece: FilePiece, opts: Pick<PlanOptions, 'nowMs' | 'listedAtMs' | 'daily'>): RangePiece[] {
  if (piece.source === 'daily') return [{ source: 'rest', fromMs: piece.fromMs, toMs: piece.toMs }];
  return plan({ ...opts, fromMs: piece.fromMs, toMs: piece.toMs }, granularities(false, opts.daily !== false));
}

function granularities(monthly: boolean, daily: boolean): Granularity[] {
  return [...(monthly ? (['monthly'] as const) : []), ...(daily ? (['daily'] as const) : [])];
}

function plan(opts: PlanOptions, use: readonly Granularity[]): RangePiece[] {
  const listedAt = opts.listedAtMs ?? Number.NEGATIVE_INFINITY;
  const from = Math.max(opts.fromMs, listedAt);
  const to = opts.toMs;
  const published: Record<Granularity, number> = { monthly: startOfMonth(opts.nowMs), daily: startOfDay(opts.nowMs) };
  // A period is whole when the data its file holds, [max(start, listing), end), lies inside the range.
  const usable = (granularity: Granularity, startMs: number, endMs: number): boolean =>
    use.includes(granularity) && Math.max(startMs, listedAt) >= from && endMs <= to && endMs <= published[granularity];
  const pieces: RangePiece[] = [];
  const rest = (fromMs: number, toMs: number): void => {
    const last = pieces.at(-1);
    if (last?.source === 'rest' && last.toMs === fromMs) pieces[pieces.length - 1] = { source: 'rest', fromMs: last.fromMs, toMs };
    else pieces.push({ source: 'rest', fromMs, toMs });
  };
  let t = from;
  while (t < to) {
    if (t >= published.daily) {
      rest(t, to);
      break;
    }
    const monthStart = startOfMonth(t);
    const monthEnd = startOfNextMonth(t);
    if (usable('monthly', monthStart, monthEnd)) {
      pieces.push({ source: 'monthly', month: monthText(monthStart), fromMs: t, toMs: monthEnd });
      t = monthEnd;
      continue;
    }
    const dayStart = startOfDay(t);
    const dayEnd = dayStart + DAY_MS;
    if (usable('daily', dayStart, dayEnd)) {
      pieces.push({ source: 'daily', day: dayText(dayStart), fromMs: t, toMs: dayEnd });
      t = dayEnd;
      continue;
    }
    const end = Math.min(dayEnd, to);
    rest(t, end);
    t = end;
  }
  return pieces;
}
