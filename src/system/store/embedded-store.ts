import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StoreError } from '../../protocol/index.ts';
import type { CollectionOptions, ExpectedFields, FieldValue, GraphOptions, PageQuery, RangeQuery, Store, StoredDocument, StorePage } from '../../actors/ports/index.ts';
import { assertExpectedFields, assertFieldValue } from './expected-fields.ts';
import { assertFieldName } from './field-name.ts';
import { inTransaction, openSqlite } from './sqlite-database.ts';
import type { SqliteSynchronous } from './sqlite-database.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,200}$/

/**
 * The default store: collections of JSON documents in one SQLite file (`<data dir>/store.sqlite`),
 * keyed by `_key`, range-indexed on one numeric field per collection.
 */
export class EmbeddedStore implements Store {
  readonly kind = 'embedded' as const;
  readonly #db: DatabaseSync;
  readonly #tables = new Map<string, CollectionTable>();
  readonly #ensured = new Set<string>();

  /** @param options.synchronous `STREAMFORGE_SQLITE_SYNCHRONOUS` (see `openSqlite`) @defaultValue 'normal' */
  constructor(dataDir: string, options: { readonly synchronous?: SqliteSynchronous } = {}) {
    this.#db = openSqlite(dataDir === ':memory:' ? ':memory:' : join(dataDir, 'store.sqlite'), options);
    this.#db.exec('CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, sort_field TEXT NOT NULL, table_name TEXT NOT NULL)');
  }

  ensureCollection(name: string, options: CollectionOptions): Promise<void> {
    try {
      this.#createCollection(name, options);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  #createCollection(name: string, options: CollectionOptions): void {
    assertName(name);
    if (this.#ensured.has(name)) return;
    const fields = options.indexedFields ?? [];
    for (const field of fields) assertFieldName(field, 'indexed field');
    const table = tableName(name);
    inTransaction(this.#db, () => {
      // One table per collection: short keys and a sort index of its own keep upserts cheap.
      this.#db.exec(
        `CREATE TABLE IF NOT EXISTS "${table}" (key TEXT PRIMARY KEY, sort INTEGER, doc TEXT NOT NULL) WITHOUT ROWID;` +
          `CREATE INDEX IF NOT EXISTS "${table}_sort" ON "${table}" (sort);`,
      );
      // An index on the expression itself: `findWhere` writes the same expression, so SQLite uses it.
      for (const field of fields) this.#db.exec(`CREATE INDEX IF NOT EXISTS "${table}_f_${hex(field)}" ON "${table}" (${fieldExpression(field)})`);
      this.#db.prepare('INSERT OR IGNORE INTO collections (name, sort_field, table_name) VALUES (?, ?, ?)').run(name, options.sortField, table);
    });
    this.#ensured.add(name);
  }

  /** Embedded, a graph is its two collections: the documents are the same, read like any others. */
  ensureGraph(name: string, options: GraphOptions): Promise<void> {
    try {
      for (const collection of [options.vertexCollection, options.edgeCollection]) this.#table(collection);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof StoreError ? err : new StoreError(`graph ${name}: ${(err as Error).message}`, { cause: err }));
    }
  }

  upsert(collection: string, documents: readonly StoredDocument[]): Promise<void> {
    if (documents.length === 0) return Promise.resolve();
    try {
      const t = this.#table(collection);
      inTransaction(this.#db, () => {
        for (const doc of documents) {
          const sort = doc[t.sortField];
          t.upsert.run(doc._key, typeof sort === 'number' ? sort : null, JSON.stringify(doc));
        }
      });
    } catch (err) {
      if (err instanceof StoreError) return Promise.reject(err);
      return Promise.reject(new StoreError(`upsert into ${collection} failed: ${(err as Error).message}`, { cause: err, retriable: true }));
    }
    return Promise.resolve();
  }

  get(collection: string, key: string): Promise<StoredDocument | undefined> {
    try {
      const row = this.#table(collection).get.get(key) as { doc: string } | undefined;
      return Promise.resolve(row ? (JSON.parse(row.doc) as StoredDocument) : undefined);
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  /** One UPDATE whose WHERE holds the expectations: SQLite runs it atomically, whichever connection writes. */
  compareAndSet(collection: string, document: StoredDocument, expected: ExpectedFields): Promise<boolean> {
    try {
      assertExpectedFields(expected);
      const t = this.#table(collection);
      const clauses: string[] = [];
      const params: Array<string | number> = [];
      for (const [field, value] of Object.entries(expected)) {
        const expression = fieldExpression(field);
        if (value === null) clauses.push(`COALESCE(json_type(doc, '$.${field}'), 'null') = 'null'`);
        else {
          // The JSON type too: text '5' must not pass for the number 5, nor an array for its JSON text.
          clauses.push(`json_type(doc, '$.${field}') IN (${typeof value === 'string' ? "'text'" : "'integer', 'real'"}) AND ${expression} = ?`);
          params.push(value);
        }
      }
      const sort = document[t.sortField];
      const where = clauses.map((c) => ` AND (${c})`).join('');
      const result = this.#db
        .prepare(`UPDATE "${t.name}" SET sort = ?, doc = ? WHERE key = ?${where}`)
        .run(typeof sort === 'number' ? sort : null, JSON.stringify(document), document._key, ...params);
      return Promise.resolve(Number(result.changes) === 1);
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  findWhere(collection: string, field: string, values: readonly FieldValue[]): Promise<StoredDocument[]> {
    try {
      assertFieldName(field);
      for (const value of values) assertFieldValue(field, value);
      const t = this.#table(collection);
      const given = values.filter((v) => v !== null);
      const clauses = [
        ...(given.length > 0 ? [`${fieldExpression(field)} IN (${given.map(() => '?').join(', ')})`] : []),
        ...(values.includes(null) ? [`${fieldExpression(field)} IS NULL`] : []),
      ];
      if (clauses.length === 0) return Promise.resolve([]);
      const rows = this.#db.prepare(`SELECT doc FROM "${t.name}" WHERE ${clauses.join(' OR ')} ORDER BY sort, key`).all(...given) as Array<{ doc: string }>;
      return Promise.resolve(rows.map((r) => JSON.parse(r.doc) as StoredDocument));
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  delete(collection: string, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    try {
      const t = this.#table(collection);
      let removed = 0;
      inTransaction(this.#db, () => {
        for (const key of keys) removed += Number(t.remove.run(key).changes);
      });
      return Promise.resolve(removed);
    } catch (err) {
      if (err instanceof StoreError) return Promise.reject(err);
      return Promise.reject(new StoreError(`delete from ${collection} failed: ${(err as Error).message}`, { cause: err, retriable: true }));
    }
  }

  range(collection: string, query: RangeQuery = {}): Promise<StoredDocument[]> {
    try {
      const t = this.#table(collection);
      const { where, params } = rangeWhere(query);
      const limit = query.limit ? ' LIMIT ?' : '';
      const rows = this.#db
        .prepare(`SELECT doc FROM "${t.name}"${where} ORDER BY sort, key${limit}`)
        .all(...params, ...(query.limit ? [query.limit] : [])) as Array<{ doc: string }>;
      return Promise.resolve(rows.map((r) => JSON.parse(r.doc) as StoredDocument));
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  rangePage(collection: string, query: PageQuery): Promise<StorePage> {
    try {
      assertPageQuery(query);
      const t = this.#table(collection);
      const { where, params } = pageWhere(query);
      const order = query.descending === true ? 'DESC' : 'ASC';
      // The sort index holds the key too (the table's primary key): pages come in (sort, key) order without a sort.
      const rows = this.#db
        .prepare(`SELECT key, sort, doc FROM "${t.name}" WHERE ${where} ORDER BY sort ${order}, key ${order} LIMIT ?`)
        .all(...params, query.limit) as Array<{ key: string; sort: number; doc: string }>;
      const last = rows.at(-1);
      const documents = rows.map((r) => JSON.parse(r.doc) as StoredDocument);
      return Promise.resolve(rows.length === query.limit && last ? { documents, next: { sort: last.sort, key: last.key } } : { documents });
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  count(collection: string, query: RangeQuery = {}): Promise<number> {
    try {
      const t = this.#table(collection);
      const { where, params } = rangeWhere(query);
      const row = this.#db.prepare(`SELECT COUNT(*) AS n FROM "${t.name}"${where}`).get(...params) as { n: number };
      return Promise.resolve(row.n);
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  listCollections(prefix = ''): Promise<string[]> {
    try {
      const rows = this.#db
        .prepare('SELECT name FROM collections WHERE substr(name, 1, length(?)) = ? ORDER BY name')
        .all(prefix, prefix) as Array<{ name: string }>;
      return Promise.resolve(rows.map((r) => r.name));
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }

  #table(collection: string): CollectionTable {
    let t = this.#tables.get(collection);
    if (t === undefined) {
      const row = this.#db.prepare('SELECT sort_field, table_name FROM collections WHERE name = ?').get(collection) as
        | { sort_field: string; table_name: string }
        | undefined;
      if (!row) throw new StoreError(`collection ${collection} does not exist; create it with ensureCollection first`);
      t = {
        name: row.table_name,
        sortField: row.sort_field,
        upsert: this.#db.prepare(
          `INSERT INTO "${row.table_name}" (key, sort, doc) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET sort = excluded.sort, doc = excluded.doc`,
        ),
        get: this.#db.prepare(`SELECT doc FROM "${row.table_name}" WHERE key = ?`),
        remove: this.#db.prepare(`DELETE FROM "${row.table_name}" WHERE key = ?`),
      };
      this.#tables.set(collection, t);
    }
    return t;
  }
}

interface CollectionTable {
  readonly name: string;
  readonly sortField: string;
  readonly upsert: StatementSync;
  readonly get: StatementSync;
  readonly remove: StatementSync;
}

/** SQLite table names ignore case (`…_1m_…` and `…_1M_…` would collide): hex keeps every collection apart. */
function tableName(collection: string): string {
  return `c_${hex(collection)}`;
}

function hex(name: string): string {
  return Buffer.from(name, 'utf8').toString('hex');
}

/** A top-level field of the stored JSON (the name checked by `assertFieldName`): the same text in indexes and queries. */
function fieldExpression(field: string): string {
  return `json_extract(doc, '$.${field}')`;
}

function rangeWhere(query: RangeQuery): { where: string; params: number[] } {
  const clauses: string[] = [];
  const params: number[] = [];
  if (query.from !== undefined) {
    clauses.push('sort >= ?');
    params.push(query.from);
  }
  if (query.to !== undefined) {
    clauses.push('sort < ?');
    params.push(query.to);
  }
  return { where: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}

/**
 * One bound on each side, the tightest: SQLite walks its index from one lower bound only (given
 * `sort >= from AND sort >= after`, it may pick the looser and scan everything before the position).
 * The position's key only drops the documents sharing its sort value.
 */
function pageWhere(query: PageQuery): { where: string; params: Array<number | string> } {
  const clauses = ['sort IS NOT NULL'];
  const params: Array<number | string> = [];
  const add = (clause: string, ...values: Array<number | string>) => {
    clauses.push(clause);
    params.push(...values);
  };
  const { from, to, after } = query;
  const descending = query.descending === true;
  if (!descending) {
    const low = after === undefined ? from : Math.max(after.sort, from ?? after.sort);
    if (low !== undefined) add('sort >= ?', low);
    if (to !== undefined) add('sort < ?', to);
  } else {
    if (from !== undefined) add('sort >= ?', from);
    if (after !== undefined && (to === undefined || after.sort < to)) add('sort <= ?', after.sort);
    else if (to !== undefined) add('sort < ?', to);
  }
  if (after !== undefined) add(descending ? '(sort < ? OR key < ?)' : '(sort > ? OR key > ?)', after.sort, after.key);
  return { where: clauses.join(' AND '), params };
}

function assertPageQuery(query: PageQuery): void {
  if (!(Number.isSafeInteger(query.limit) && query.limit > 0)) {
    throw new StoreError(`page limit must be a positive integer, got ${String(query.limit)}`);
  }
  if (query.after !== undefined && !(Number.isFinite(query.after.sort) && typeof query.after.key === 'string')) {
    throw new StoreError(`page position must be a finite sort value and a key, got ${JSON.stringify(query.after)}`);
  }
}

function assertName(name: string): void {
  if (!NAME.test(name)) {
    throw new StoreError(`invalid collection name ${JSON.stringify(name)}: letters, digits and '_', starting with a letter (at most 201)`);
  }
}

/** Whatever SQLite threw (busy, closed, I/O) as a retriable StoreError: callers and the API see one kind of failure. */
function asError(err: unknown): Error {
  if (err instanceof StoreError) return err;
  return new StoreError(`store failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, retriable: true });
}
