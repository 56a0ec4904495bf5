import type { FetchBounds, KeyedRecord, RestPage } from './live-series.ts';

const PAGE_LIMIT = 1000;

/** A page never asks past the first live event held back: those records are on their way already. */
export function pageLimit(afterKey: number, bounds: FetchBounds): number {
  return bounds.untilKey === undefined ? PAGE_LIMIT : Math.max(1, Math.min(PAGE_LIMIT, bounds.untilKey - afterKey - 1));
}

/** A page of consecutive ids: it ends at the bound, at the end of the range, or when the exchange has no more yet. */
export function restPage(records: readonly KeyedRecord[], afterKey: number, limit: number, bounds: FetchBounds): RestPage {
  const kept = records.filter((r) => r.key > afterKey && (bounds.untilKey === undefined || r.key < bounds.untilKey));
  const last = kept.at(-1);
  const toMs = bounds.toMs;
  const pastEnd = toMs !== undefined && kept.some((r) => r.time >= toMs);
  const reachedBound = bounds.untilKey !== undefined && (last?.key ?? afterKey) >= bounds.untilKey - 1;
  // Fewer than asked for: the exchange has nothing newer yet (and the range's end is past when `toMs` is given).
  const exhausted = records.length < limit && !reachedBound;
  return {
    records: kept,
    more: records.length >= limit && !pastEnd && !reachedBound,
    coveredTo: last?.key ?? afterKey,
    reachedEnd: toMs !== undefined && (pastEnd || exhausted),
  };
}
