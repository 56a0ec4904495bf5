import { z } from 'zod';
import type { Store } from '../ports/index.ts';
import { CURSOR_COLLECTION } from '../loader/loader-cursor.ts';

/**
 * Where a `ws_depth` loader stands. Live data cannot be fetched again, so a relaunched loader only
 * needs the count of distinct records already produced, for its end marker.
 */
export const DepthCursor = z.object({
  _key: z.string(),
  kind: z.literal('ws_depth'),
  records: z.number().int().nonnegative(),
  resyncs: z.number().int().nonnegative(),
  done: z.boolean(),
  updated_at: z.number(),
});
export type DepthCursor = z.infer<typeof DepthCursor>;

export async function loadDepthCursor(store: Store, queueId: string, now: number): Promise<DepthCursor> {
  await store.ensureCollection(CURSOR_COLLECTION, { sortField: 'updated_at' });
  const parsed = DepthCursor.safeParse(await store.get(CURSOR_COLLECTION, queueId));
  return parsed.success ? parsed.data : { _key: queueId, kind: 'ws_depth', records: 0, resyncs: 0, done: false, updated_at: now };
}

export async function saveDepthCursor(store: Store, cursor: DepthCursor): Promise<void> {
  await store.upsert(CURSOR_COLLECTION, [cursor]);
}
