import { z } from 'zod';
import type { Store } from '../ports/index.ts';

export const GRAPH_CURSOR_COLLECTION = 'graph_cursors';

/** Where a graph-builder stands: saved once the snapshots up to it are on the bus, so a relaunch publishes none twice. */
export const GraphCursor = z.object({
  _key: z.string(),
  /** Open time of the last snapshot published; none yet: -1. */
  published_until: z.number().int(),
  snapshots: z.number().int().nonnegative(),
  done: z.boolean(),
  updated_at: z.number(),
});
export type GraphCursor = z.infer<typeof GraphCursor>;

export async function loadGraphCursor(store: Store, queueId: string, now: number): Promise<GraphCursor> {
  await store.ensureCollection(GRAPH_CURSOR_COLLECTION, { sortField: 'updated_at' });
  const parsed = GraphCursor.safeParse(await store.get(GRAPH_CURSOR_COLLECTION, queueId));
  return parsed.success ? parsed.data : { _key: queueId, published_until: -1, snapshots: 0, done: false, updated_at: now };
}

export async function saveGraphCursor(store: Store, cursor: GraphCursor): Promise<void> {
  await store.upsert(GRAPH_CURSOR_COLLECTION, [cursor]);
}
