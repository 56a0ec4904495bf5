import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Opens a SQLite file for concurrent use by several processes: WAL journal, a busy timeout,
 * and `synchronous=NORMAL` (a committed transaction survives a process crash).
 */
export function openSqlite(path: string, options: { pageSize?: number } = {}): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  // Takes effect only in a new file (before its first write); an existing file keeps its page size.
  if (options.pageSize !== undefined) db.exec(`PRAGMA page_size = ${options.pageSize}`);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`);
  // A bigger page cache and rarer checkpoints (every 32 MiB of WAL, whatever the page size): B-tree
  // pages touched by every batch are written once, not per commit.
  const pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
  db.exec(`PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = ${Math.ceil(WAL_CHECKPOINT_BYTES / pageSize)}; PRAGMA temp_store = MEMORY;`);
  return db;
}

/** How long a statement waits for another connection's write lock before failing. */
export const BUSY_TIMEOUT_MS = 10_000;

const WAL_CHECKPOINT_BYTES = 32 * 1024 * 1024;

/** Runs `fn` in an IMMEDIATE transaction (takes the write lock up front, so no upgrade deadlock). */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
