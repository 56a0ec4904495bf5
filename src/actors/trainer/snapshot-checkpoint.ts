import { z } from 'zod';
import { GraphSnapshot } from '../../protocol/index.ts';
import type { ObjectStore } from '../ports/index.ts';

/** One consumed batch of snapshots, as the trainer keeps it: the bus position it came from and the snapshots. */
const CheckpointSegment = z.object({
  partition: z.number().int().nonnegative(),
  first_offset: z.string(),
  snapshots: z.array(GraphSnapshot),
  /** The stream's end marker was in this batch: the snapshots it counts. */
  end: z.number().int().nonnegative().optional(),
});

/** What a trainer had consumed: its snapshots, and the end marker's count once it came. */
export interface CheckpointContents {
  readonly snapshots: GraphSnapshot[];
  readonly end?: number;
}

/**
 * The snapshots a trainer has consumed, kept in the object store beside the models
 * (`checkpoints/<queue_id>/<partition>-<first offset>.json`, one object per consumed batch), so a
 * relaunched trainer has its whole history back and resumes the topic at its committed offset. A
 * batch delivered again (its commit lost to a crash) lands on the same key: nothing is doubled.
 */
export class SnapshotCheckpoint {
  readonly #objects: ObjectStore;
  readonly #prefix: string;

  constructor(objects: ObjectStore, queueId: string) {
    this.#objects = objects;
    this.#prefix = `checkpoints/${queueId}/`;
  }

  /** Durable once resolved: only then may the batch's offsets be committed. */
  async append(partition: number, firstOffset: string, snapshots: readonly GraphSnapshot[], end?: number): Promise<void> {
    const key = `${this.#prefix}${partition}-${firstOffset.padStart(20, '0')}.json`;
    const body = JSON.stringify({ partition, first_offset: firstOffset, snapshots, ...(end !== undefined ? { end } : {}) });
    await this.#objects.put(key, new TextEncoder().encode(body), 'application/json');
  }

  /** Every snapshot kept so far, each time once, in time order, and the end marker's count if it came. */
  async load(): Promise<CheckpointContents> {
    const byTime = new Map<number, GraphSnapshot>();
    let end: number | undefined;
    for (const key of await this.#objects.list(this.#prefix)) {
      const bytes = await this.#objects.get(key);
      if (bytes === undefined) continue;
      const segment = CheckpointSegment.parse(JSON.parse(new TextDecoder().decode(bytes)));
      for (const s of segment.snapshots) byTime.set(s.time, s);
      end = segment.end ?? end;
    }
    const snapshots = [...byTime.values()].sort((a, b) => a.time - b.time);
    return end === undefined ? { snapshots } : { snapshots, end };
  }

  /** Forgets the workflow's snapshots (once it has ended). */
  async clear(): Promise<void> {
    await this.#objects.deletePrefix(this.#prefix);
  }
}
