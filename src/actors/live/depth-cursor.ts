import { z } from 'zod';
import { BookSnapshot, DepthRecord, StoreError } from '../../protocol/index.ts';
import type { Store } from '../ports/index.ts';
import { CURSOR_COLLECTION } from '../loader/loader-cursor.ts';

/**
 * Where a `ws_depth` loader stands. Live data cannot be fetched again, so a relaunched loader needs
 * only what makes its end marker exact: the count of distinct records produced, what it must not
 * produce again (diff events up to an update id, snapshot keys at the newest snapshot's update id),
 * and the batch that was being produced when it stopped.
 *
 * The guarantee, wherever the loader crashes or is killed: the data topic holds the keys counted in
 * `records`, perhaps some of `in_flight`, and nothing else; a relaunch produces `in_flight` again
 * (same keys: the connector overwrites, the store holds each once) and counts it, so the end marker's
 * `records` is the number of distinct keys produced in the range, and a relaunch after the end says
 * the same number. A batch is saved in flight before it is produced and counted once the produce
 * returned (saved with the next batch: one store write per batch, as before). Saving the count after
 * producing loses a batch produced just before a crash (the marker undercounts); saving it before
 * counts a batch that never reached the topic (the connector fails); recounting from the store is no
 * option, as the connector may not have stored yet what is on the topic. It holds for one incarnation
 * at a time: two loaders of one workflow running at once (a relaunch before the old process exited)
 * would each save their own count.
 */
export const DepthCursor = z.object({
  _key: z.string(),
  kind: z.literal('ws_depth'),
  /** Distinct records produced and counted. */
  records: z.number().int().nonnegative(),
  resyncs: z.number().int().nonnegative(),
  done: z.boolean(),
  updated_at: z.number(),
  /** Highest final update id of a diff event produced: a replay up to it is not produced (nor counted) again. */
  produced_up_to: z.number().int().default(-1),
  /** Update id of the newest book snapshot produced (-1: none yet), and the reasons produced at it. */
  snapshot_update_id: z.number().int().default(-1),
  snapshot_reasons: z.array(BookSnapshot.shape.reason).default([]),
  /** Saved before it is produced, not yet in `records`: a relaunch produces it again and counts it. */
  in_flight: z.array(DepthRecord).default([]),
});
export type DepthCursor = z.infer<typeof DepthCursor>;

/** The saved cursor, or a fresh one; a saved one that does not parse fails: starting over would count wrong. */
export async function loadDepthCursor(store: Store, queueId: string, now: number): Promise<DepthCursor> {
  await store.ensureCollection(CURSOR_COLLECTION, { sortField: 'updated_at' });
  const saved = await store.get(CURSOR_COLLECTION, queueId);
  if (saved === undefined) return DepthCursor.parse({ _key: queueId, kind: 'ws_depth', records: 0, resyncs: 0, done: false, updated_at: now });
  const parsed = DepthCursor.safeParse(saved);
  if (!parsed.success) throw new StoreError(`the ws_depth cursor of ${queueId} is not one: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export async function saveDepthCursor(store: Store, cursor: DepthCursor): Promise<void> {
  await store.upsert(CURSOR_COLLECTION, [cursor]);
}

/**
 * Produces `records` (distinct, and distinct from every record counted so far) so that a crash at
 * any point neither loses nor repeats them in the count: saved in flight, produced, then counted.
 * The cursor's other fields must already say what produced (`produced_up_to`, snapshot keys).
 */
export async function produceCounted(
  store: Store,
  cursor: DepthCursor,
  records: readonly DepthRecord[],
  produce: (records: readonly DepthRecord[]) => Promise<void>,
  nowMs: number,
): Promise<void> {
  cursor.in_flight = [...records];
  cursor.updated_at = nowMs;
  await saveDepthCursor(store, cursor);
  await produce(records);
  // Saved with the next batch, or at the end: until then a relaunch produces this batch once more.
  cursor.records += records.length;
  cursor.in_flight = [];
}

/**
 * A relaunch's first step: the batch the last incarnation may or may not have produced is produced
 * again and counted once. Returns how many records that was.
 */
export async function settleInFlight(
  store: Store,
  cursor: DepthCursor,
  produce: (records: readonly DepthRecord[]) => Promise<void>,
  nowMs: number,
): Promise<number> {
  const batch = cursor.in_flight;
  if (batch.length === 0) return 0;
  await produce(batch);
  cursor.records += batch.length;
  cursor.in_flight = [];
  cursor.updated_at = nowMs;
  await saveDepthCursor(store, cursor);
  return batch.length;
}
