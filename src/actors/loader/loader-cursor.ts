import { z } from 'zod';
import type { Store } from '../ports/index.ts';

export const CURSOR_COLLECTION = 'loader_cursors';

/** One slice of the range, paged on its own by the last open time returned. */
export const CursorSegment = z.object({
  next_start: z.number().int(),
  /** Exclusive end of the slice. */
  end: z.number().int(),
  done: z.boolean(),
});
export type CursorSegment = z.infer<typeof CursorSegment>;

/** Where a loader stands: saved after each round of pages is durable on the bus, so a restart resumes there. */
export const LoaderCursor = z.object({
  _key: z.string(),
  segments: z.array(CursorSegment).min(1),
  records: z.number().int().nonnegative(),
  done: z.boolean(),
  updated_at: z.number(),
});
export type LoaderCursor = z.infer<typeof LoaderCursor>;

/**
 * Splits `[fromMs, toMs)` into up to `count` slices aligned to `stepMs`, so that several pages can
 * be in flight at once (latency no longer caps the weight budget a loader can use).
 */
export function splitRange(fromMs: number, toMs: number, count: number, stepMs: number): CursorSegment[] {
  const steps = Math.ceil((toMs - fromMs) / stepMs);
  const n = Math.max(1, Math.min(count, steps));
  const perSlice = Math.ceil(steps / n);
  const segments: CursorSegment[] = [];
  for (let start = fromMs; start < toMs; start += perSlice * stepMs) {
    segments.push({ next_start: start, end: Math.min(toMs, start + perSlice * stepMs), done: false });
  }
  return segments;
}

export async function loadCursor(store: Store, queueId: string, fresh: () => CursorSegment[], now: number): Promise<LoaderCursor> {
  await store.ensureCollection(CURSOR_COLLECTION, { sortField: 'updated_at' });
  const doc = await store.get(CURSOR_COLLECTION, queueId);
  const parsed = LoaderCursor.safeParse(doc);
  return parsed.success ? parsed.data : { _key: queueId, segments: fresh(), records: 0, done: false, updated_at: now };
}

export async function saveCursor(store: Store, cursor: LoaderCursor): Promise<void> {
  await store.upsert(CURSOR_COLLECTION, [cursor]);
}
