import { z } from 'zod';
import type { Store } from '../ports/index.ts';
import { CURSOR_COLLECTION, splitRange } from './loader-cursor.ts';

/**
 * One time slice of an `api_trades` range. Until its first aggregate trade is found, the slice is
 * searched by time windows from `next_start`; from then on it is paged by id from `next_id`.
 */
export const TradeCursorSegment = z.object({
  /** Inclusive start of the slice (for the progress estimate). */
  start: z.number().int(),
  /** Exclusive end of the slice: trades at or after it belong to the next slice. */
  end: z.number().int(),
  /** Where the search by time resumes; once paging by id, the time of the last trade loaded. */
  next_start: z.number().int(),
  /** The next aggregate id to ask for, or null while the slice's first trade is still searched for. */
  next_id: z.number().int().nonnegative().nullable(),
  done: z.boolean(),
});
export type TradeCursorSegment = z.infer<typeof TradeCursorSegment>;

/** Where a trade loader stands; saved after each round of pages is durable on the bus. */
export const TradeCursor = z.object({
  _key: z.string(),
  segments: z.array(TradeCursorSegment).min(1),
  /** Distinct trades produced so far (each id counted once, also across restarts). */
  records: z.number().int().nonnegative(),
  done: z.boolean(),
  updated_at: z.number(),
});
export type TradeCursor = z.infer<typeof TradeCursor>;

/** Splits `[fromMs, toMs)` into up to `count` slices on a `stepMs` grid, each searched for its first id on its own. */
export function tradeSegments(fromMs: number, toMs: number, count: number, stepMs: number): TradeCursorSegment[] {
  return splitRange(fromMs, toMs, count, stepMs).map((s) => ({ start: s.next_start, end: s.end, next_start: s.next_start, next_id: null, done: false }));
}

export async function loadTradeCursor(store: Store, queueId: string, fresh: () => TradeCursorSegment[], now: number): Promise<TradeCursor> {
  await store.ensureCollection(CURSOR_COLLECTION, { sortField: 'updated_at' });
  const parsed = TradeCursor.safeParse(await store.get(CURSOR_COLLECTION, queueId));
  return parsed.success ? parsed.data : { _key: queueId, segments: fresh(), records: 0, done: false, updated_at: now };
}

export async function saveTradeCursor(store: Store, cursor: TradeCursor): Promise<void> {
  await store.upsert(CURSOR_COLLECTION, [cursor]);
}
