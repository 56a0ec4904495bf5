import { z } from 'zod';
import type { Store } from '../ports/index.ts';

export const LIVE_CURSOR_COLLECTION = 'live_cursors';

/**
 * Where a live loader stands, saved after each produce is durable: every record with a key up to
 * `last_key` that lies in the range is on the bus, and `records` counts them. A restart resumes
 * after `last_key` and repairs the interval it was down over REST.
 */
export const LiveCursor = z.object({
  _key: z.string(),
  /** The last trade id or candle open time handled; null before the first one is known. */
  last_key: z.number().int().nullable(),
  records: z.number().int().nonnegative(),
  reconnects: z.number().int().nonnegative(),
  repairs: z.number().int().nonnegative(),
  repaired_records: z.number().int().nonnegative(),
  /** Gaps REST would not fill, gone past without their records (absent in cursors saved before they were counted). */
  unrepaired_gaps: z.number().int().nonnegative().default(0),
  /** How many records those gaps can hold. */
  unrepaired_records: z.number().int().nonnegative().default(0),
  done: z.boolean(),
  updated_at: z.number(),
});
export type LiveCursor = z.infer<typeof LiveCursor>;

export async function loadLiveCursor(store: Store, queueId: string, now: number): Promise<LiveCursor> {
  await store.ensureCollection(LIVE_CURSOR_COLLECTION, { sortField: 'updated_at' });
  const parsed = LiveCursor.safeParse(await store.get(LIVE_CURSOR_COLLECTION, queueId));
  return parsed.success
    ? parsed.data
    : { _key: queueId, last_key: null, records: 0, reconnects: 0, repairs: 0, repaired_records: 0, unrepaired_gaps: 0, unrepaired_records: 0, done: false, updated_at: now };
}

export async function saveLiveCursor(store: Store, cursor: LiveCursor): Promise<void> {
  await store.upsert(LIVE_CURSOR_COLLECTION, [cursor]);
}
