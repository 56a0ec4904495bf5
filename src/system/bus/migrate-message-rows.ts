import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { BUSY_TIMEOUT_MS, inTransaction } from '../store/sqlite-database.ts';
import { encodeBatch } from './record-batch.ts';

/**
 * Data dirs written before record batches kept one row per message in `messages`: each becomes a
 * batch of one at its own offset, so committed offsets stay valid. One transaction: a consumer never
 * sees half a log. A large old log takes a while (about 6 µs a message), so meanwhile every process
 * opening the dir waits for it (up to {@link MIGRATION_WAIT_MS}) instead of failing after the usual wait.
 */
export function migrateMessageRows(db: DatabaseSync, insert: StatementSync): void {
  const exists = () => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'").get() !== undefined;
  if (!exists()) return;
  db.exec(`PRAGMA busy_timeout = ${MIGRATION_WAIT_MS}`);
  try {
    inTransaction(db, () => {
      // Another process opening the same dir may have migrated it while this one waited for the lock.
      if (!exists()) return;
      // An older StreamForge still running on this dir may have written into `messages` after an
      // earlier move, numbering from its own log's end: those rows go after the partition's batches,
      // in their order, at offsets of their own, so no offset holds two messages and none is lost.
      const batchesEnd = db.prepare('SELECT MAX(end_offset) AS o FROM record_batches WHERE topic_id = ? AND partition = ?');
      const nextOf = new Map<string, number | null>();
      const rows = db.prepare('SELECT topic_id, partition, offset, key, value, ts FROM messages ORDER BY topic_id, partition, offset');
      for (const r of rows.iterate()) {
        const row = r as { topic_id: number; partition: number; offset: number; key: string | null; value: string; ts: number };
        const at = `${row.topic_id}/${row.partition}`;
        let next = nextOf.get(at);
        if (next === undefined) {
          next = (batchesEnd.get(row.topic_id, row.partition) as { o: number | null }).o;
          nextOf.set(at, next);
        }
        const offset = next ?? row.offset;
        if (next !== null) nextOf.set(at, next + 1);
        const batch = encodeBatch([{ key: row.key, value: row.value }]);
        insert.run(row.topic_id, row.partition, offset + 1, offset, row.ts, batch.keys, batch.lengths, batch.payload);
      }
      db.exec('DROP TABLE messages');
    });
  } finally {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

const MIGRATION_WAIT_MS = 600_000;
