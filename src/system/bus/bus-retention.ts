import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inTransaction } from '../store/sqlite-database.ts';

/** What one retention pass removed. */
export interface RetentionPass {
  readonly batches: number;
  readonly messages: number;
}

/** What one compaction returned to the file system. */
export interface Compaction {
  readonly freedBytes: number;
  /** `incremental`: free pages cut from the file's end; `vacuum`: the file rewritten (once, for a file made without auto-vacuum). */
  readonly how: 'incremental' | 'vacuum' | 'none';
}

/**
 * A file made before retention has no auto-vacuum: it is rewritten once (`VACUUM`, turning
 * incremental auto-vacuum on) when at least this share of it is free and at least
 * {@link BusRetentionOptions.vacuumMinFreeBytes} would be returned.
 */
const VACUUM_FREE_SHARE = 0.25;
/** Free pages cut per `incremental_vacuum` step: each step holds the write lock briefly, so other processes' writes interleave. */
const VACUUM_STEP_PAGES = 2048;
const AUTO_VACUUM_INCREMENTAL = 2;

export interface BusRetentionOptions {
  /** A file without auto-vacuum is rewritten only when this much of it is free (and a quarter of it). @defaultValue 64 MiB */
  readonly vacuumMinFreeBytes?: number;
}

/**
 * The embedded log's retention, as Kafka's `retention.ms` and its log cleaner do it: per partition,
 * batches are removed from the log's start up to the last one produced before the cutoff, whoever
 * has or has not read them (by age, regardless of consumer groups). A group whose committed offset
 * falls into what was removed resumes at the first message still kept. The partition's end offset
 * survives the removal of all its batches (`log_ends`), so offsets are never reused.
 */
export class BusRetention {
  readonly #db: DatabaseSync;
  readonly #partitions: StatementSync;
  readonly #batches: StatementSync;
  readonly #lastBatch: StatementSync;
  readonly #removePrefix: StatementSync;
  readonly #saveEnd: StatementSync;
  readonly #vacuumMinFreeBytes: number;

  constructor(db: DatabaseSync, options: BusRetentionOptions = {}) {
    this.#db = db;
    this.#vacuumMinFreeBytes = options.vacuumMinFreeBytes ?? 64 * 1024 * 1024;
    db.exec(`CREATE TABLE IF NOT EXISTS log_ends (
      topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, end_offset INTEGER NOT NULL,
      PRIMARY KEY (topic_id, partition)) WITHOUT ROWID`);
    this.#partitions = db.prepare('SELECT id, partitions FROM topics');
    // Oldest first, in the primary key's order: a pass reads only what it removes, and one batch more.
    this.#batches = db.prepare('SELECT end_offset, base_offset, ts FROM record_batches WHERE topic_id = ? AND partition = ? ORDER BY end_offset');
    this.#lastBatch = db.prepare('SELECT MAX(end_offset) AS o FROM record_batches WHERE topic_id = ? AND partition = ?');
    this.#removePrefix = db.prepare('DELETE FROM record_batches WHERE topic_id = ? AND partition = ? AND end_offset <= ?');
    this.#saveEnd = db.prepare(
      'INSERT INTO log_ends (topic_id, partition, end_offset) VALUES (?, ?, ?) ' +
        'ON CONFLICT (topic_id, partition) DO UPDATE SET end_offset = MAX(end_offset, excluded.end_offset)',
    );
  }

  /** Removes every partition's batches produced before `cutoffMs` from the start of its log. One transaction per partition. */
  expire(cutoffMs: number): RetentionPass {
    let batches = 0;
    let messages = 0;
    const partitions = this.#partitions.all() as Array<{ id: number; partitions: number }>;
    for (const { id, partitions: count } of partitions) {
      for (let p = 0; p < count; p++) {
        const removed = inTransaction(this.#db, () => this.#expirePartition(id, p, cutoffMs));
        batches += removed.batches;
        messages += removed.messages;
      }
    }
    return { batches, messages };
  }

  #expirePartition(topicId: number, partition: number, cutoffMs: number): RetentionPass {
    let upTo: number | undefined;
    let batches = 0;
    let messages = 0;
    for (const row of this.#batches.iterate(topicId, partition)) {
      const { end_offset: end, base_offset: base, ts } = row as { end_offset: number; base_offset: number; ts: number };
      if (ts >= cutoffMs) break;
      upTo = end;
      batches++;
      messages += end - base;
    }
    if (upTo === undefined) return { batches: 0, messages: 0 };
    const last = (this.#lastBatch.get(topicId, partition) as { o: number | null }).o;
    // Removing the whole log: its end offset must outlive it, or the next produce would start at 0 again.
    if (last === upTo) this.#saveEnd.run(topicId, partition, upTo);
    this.#removePrefix.run(topicId, partition, upTo);
    return { batches, messages };
  }

  /**
   * Gives free pages back to the file system: the file's free tail with incremental auto-vacuum,
   * or, for a file made without it, one `VACUUM` once enough of it is free (which also turns
   * incremental auto-vacuum on for good).
   */
  compact(): Compaction {
    const pageSize = this.#pragma('page_size');
    const before = this.#pragma('freelist_count');
    if (before === 0) return { freedBytes: 0, how: 'none' };
    if (this.#pragma('auto_vacuum') === AUTO_VACUUM_INCREMENTAL) {
      let free = before;
      while (free > 0) {
        this.#db.exec(`PRAGMA incremental_vacuum(${VACUUM_STEP_PAGES})`);
        const left = this.#pragma('freelist_count');
        if (left >= free) break;
        free = left;
      }
      return { freedBytes: (before - free) * pageSize, how: 'incremental' };
    }
    const freeBytes = before * pageSize;
    if (freeBytes < this.#vacuumMinFreeBytes || before < this.#pragma('page_count') * VACUUM_FREE_SHARE) return { freedBytes: 0, how: 'none' };
    this.#db.exec(`PRAGMA auto_vacuum = INCREMENTAL; VACUUM;`);
    return { freedBytes: freeBytes, how: 'vacuum' };
  }

  #pragma(name: 'page_size' | 'page_count' | 'freelist_count' | 'auto_vacuum'): number {
    const row = this.#db.prepare(`PRAGMA ${name}`).get() as Record<string, number> | undefined;
    return row?.[name] ?? 0;
  }
}
