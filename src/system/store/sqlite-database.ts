import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface SqliteOptions {
  /** Takes effect only in a new file (before its first write); an existing file keeps its page size. */
  readonly pageSize?: number;
  /** Incremental auto-vacuum, so that freed pages can be given back (`PRAGMA incremental_vacuum`); new files only. @defaultValue false */
  readonly incrementalVacuum?: boolean;
  /** `PRAGMA synchronous` (`STREAMFORGE_SQLITE_SYNCHRONOUS`): see {@link openSqlite}. @defaultValue 'normal' */
  readonly synchronous?: SqliteSynchronous;
}

/** How often SQLite waits for the disk: `normal` at checkpoints, `full` at every commit. */
export type SqliteSynchronous = 'normal' | 'full';

/**
 * Opens a SQLite file for concurrent use by several processes: WAL journal, a busy timeout,
 * and `synchronous=NORMAL`. A missing folder is made private to this user (`0700`), the file too
 * (`0600`; SQLite gives its `-wal` and `-shm` files the same mode).
 *
 * Durability: in WAL mode `NORMAL` syncs at each checkpoint, not at each commit. A committed
 * transaction survives a crash of the process (the bus's and store's own failure model: stages are
 * killed and restarted); one cut by a power loss or a kernel crash may be lost, never corrupted.
 * `FULL` would close that window at one fsync per commit (measured in the README: Security).
 */
export function openSqlite(path: string, options: SqliteOptions = {}): DatabaseSync {
  if (path !== ':memory:') privateDir(dirname(path));
  const db = new DatabaseSync(path);
  if (path !== ':memory:') privateFile(path);
  // First: `auto_vacuum` on an existing file needs the write lock, and without a busy timeout a
  // process opening the file while another writes fails at once with "database is locked".
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (options.pageSize !== undefined) db.exec(`PRAGMA page_size = ${options.pageSize}`);
  // Like the page size, only for a new file; for an older one, the bus's compaction turns it on with a one-off VACUUM.
  if (options.incrementalVacuum === true) db.exec('PRAGMA auto_vacuum = INCREMENTAL');
  const synchronous = options.synchronous === 'full' ? 'FULL' : 'NORMAL';
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous};`);
  // A bigger page cache and rarer checkpoints (every 32 MiB of WAL, whatever the page size): B-tree
  // pages touched by every batch are written once, not per commit. The WAL is cut back to
  // `WAL_SIZE_LIMIT_BYTES` after a checkpoint rather than keeping its largest size for good.
  const pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
  db.exec(
    `PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = ${Math.ceil(WAL_CHECKPOINT_BYTES / pageSize)}; ` +
      `PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}; PRAGMA temp_store = MEMORY;`,
  );
  return db;
}

/** How long a statement waits for another connection's write lock before failing. */
export const BUSY_TIMEOUT_MS = 10_000;

const WAL_CHECKPOINT_BYTES = 32 * 1024 * 1024;
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const GROUP_AND_OTHERS = 0o077;

/**
 * Creates a missing data dir (and its missing parents) as `0700`. An existing folder keeps its mode:
 * it may be the user's own (`STREAMFORGE_DATA_DIR=.`) or a volume that is not ours to change; the
 * files in it are private either way.
 */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
}

/** Narrows a database file this user owns to `0600` (an older StreamForge made it `0644`); SQLite's `-wal` and `-shm` follow it. */
function privateFile(path: string): void {
  const stat = statSync(path);
  if ((stat.mode & GROUP_AND_OTHERS) !== 0 && process.getuid?.() === stat.uid) chmodSync(path, PRIVATE_FILE);
}

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
