import { z } from 'zod';
import type { Store } from '../ports/index.ts';

export const CURSOR_COLLECTION = 'loader_cursors';

/** Where a loader stands: saved after each page is durable on the bus, so a restart resumes there. */
export const LoaderCursor = z.object({
  _key: z.string(),
  next_start: z.number().int(),
  records: z.number().int().nonnegative(),
  done: z.boolean(),
  updated_at: z.number(),
});
export type LoaderCursor = z.infer<typeof LoaderCursor>;

export async function loadCursor(store: Store, queueId: string, fromMs: number, now: number): Promise<LoaderCursor> {
  await store.ensureCollection(CURSOR_COLLECTION, { sortField: 'updated_at' });
  const doc = await store.get(CURSOR_COLLECTION, queueId);
  const parsed = LoaderCursor.safeParse(doc);
  return parsed.success ? parsed.data : { _key: queueId, next_start: fromMs, records: 0, done: false, updated_at: now };
}

export async function saveCursor(store: Store, cursor: LoaderCursor): Promise<void> {
  await store.upsert(CURSOR_COLLECTION, [cursor]);
}
