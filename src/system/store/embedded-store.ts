import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StoreError } from '../../protocol/index.ts';
import type { CollectionOptions, RangeQuery, Store, StoredDocument } from '../../actors/ports/index.ts';
import { inTransaction, openSqlite } from './sqlite-database.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,255}$/;

/**
 * The default store: collections of JSON documents in one SQLite file (`<data dir>/store.sqlite`),
 * keyed by `_key`, range-indexed on one numeric field per collection.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  readonly #db: DatabaseSync;
  readonly #sortFields = new Map<string, string>();
  readonly #upsert: StatementSync;
  readonly #get: StatementSync;

  constructor(dataDir: string) {
    this.#db = openSqlite(dataDir === ':memory:' ? ':memory:' : join(dataDir, 'store.sqlite'));
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, sort_field TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS documents (
        collection TEXT NOT NULL, key TEXT NOT NULL, sort INTEGER, doc TEXT NOT NULL,
        PRIMARY KEY (collection, key)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS documents_by_sort ON documents (collection, sort);
    `);
    this.#upsert = this.#db.prepare(
      'INSERT INTO documents (collection, key, sort, doc) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (collection, key) DO UPDATE SET sort = excluded.sort, doc = excluded.doc',
    );
    this.#get = this.#db.prepare('SELECT doc FROM documents WHERE collection = ? AND key = ?');
  }

  ensureCollection(name: string, options: CollectionOptions): Promise<void> {
    assertName(name);
    this.#db.prepare('INSERT OR IGNORE INTO collections (name, sort_field) VALUES (?, ?)').run(name, options.sortField);
    this.#sortFields.delete(name);
    return Promise.resolve();
  }

  upsert(collection: string, documents: readonly StoredDocument[]): Promise<void> {
    if (documents.length === 0) return Promise.resolve();
    const sortField = this.#sortField(collection);
    try {
      inTransaction(this.#db, () => {
        for (const doc of documents) {
          const sort = doc[sortField];
          this.#upsert.run(collection, doc._key, typeof sort === 'number' ? sort : null, JSON.stringify(doc));
        }
      });
    } catch (err) {
      return Promise.reject(new StoreError(`upsert into ${collection} failed: ${(err as Error).message}`, { cause: err, retriable: true }));
    }
    return Promise.resolve();
  }

  get(collection: string, key: string): Promise<StoredDocument | undefined> {
    const row = this.#get.get(collection, key) as { doc: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.doc) as StoredDocument) : undefined);
  }

  range(collection: string, query: RangeQuery = {}): Promise<StoredDocument[]> {
    const { sql, params } = rangeSql('doc', collection, query);
    const rows = this.#db.prepare(`${sql} ORDER BY sort, key${query.limit ? ' LIMIT ?' : ''}`)
      .all(...params, ...(query.limit ? [query.limit] : [])) as Array<{ doc: string }>;
    return Promise.resolve(rows.map((r) => JSON.parse(r.doc) as StoredDocument));
  }

  count(collection: string, query: RangeQuery = {}): Promise<number> {
    const { sql, params } = rangeSql('COUNT(*) AS n', collection, query);
    const row = this.#db.prepare(sql).get(...params) as { n: number };
    return Promise.resolve(row.n);
  }

  listCollections(prefix = ''): Promise<string[]> {
    const rows = this.#db
      .prepare("SELECT name FROM collections WHERE substr(name, 1, length(?)) = ? ORDER BY name")
      .all(prefix, prefix) as Array<{ name: string }>;
    return Promise.resolve(rows.map((r) => r.name));
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }

  #sortField(collection: string): string {
    let field = this.#sortFields.get(collection);
    if (field === undefined) {
      const row = this.#db.prepare('SELECT sort_field FROM collections WHERE name = ?').get(collection) as
        | { sort_field: string }
        | undefined;
      if (!row) throw new StoreError(`collection ${collection} does not exist; create it with ensureCollection first`);
      field = row.sort_field;
      this.#sortFields.set(collection, field);
    }
    return field;
  }
}

function rangeSql(select: string, collection: string, query: RangeQuery): { sql: string; params: Array<string | number> } {
  let sql = `SELECT ${select} FROM documents WHERE collection = ?`;
  const params: Array<string | number> = [collection];
  if (query.from !== undefined) {
    sql += ' AND sort >= ?';
    params.push(query.from);
  }
  if (query.to !== undefined) {
    sql += ' AND sort < ?';
    params.push(query.to);
  }
  return { sql, params };
}

function assertName(name: string): void {
  if (!NAME.test(name)) {
    throw new StoreError(`invalid collection name ${JSON.stringify(name)}: letters, digits, '_' and '-', starting with a letter`);
  }
}
