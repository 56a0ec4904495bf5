import { Database } from 'arangojs';
import type { AqlQuery } from 'arangojs/aql';
import type { CollectionOptions, ExpectedFields, FieldValue, GraphOptions, PageQuery, RangeQuery, Store, StoredDocument, StorePage } from '../../actors/ports/index.ts';
import { StoreError } from '../../protocol/index.ts';
import { assertCollectionName, assertSortField } from './arango-names.ts';
import { countQuery, findQuery, getQuery, deleteQuery, pageQuery, rangeQuery } from './arango-queries.ts';
import { isDatabaseNotFound, isDuplicateName, isRevisionConflict, storeErrorFrom } from './classify-arango-error.ts';
import { assertExpectedFields, assertFieldValue, fieldsMatch } from './expected-fields.ts';
import { assertFieldName } from './field-name.ts';
import { upsertBatches } from './upsert-batches.ts';

/**
 * The persistent index on a collection's sort field (then `_key`). Its name is fixed so that any
 * process can learn a collection's sort field from the index itself (its first field): no side table
 * to keep in step. Collections created before pages existed have it on the sort field alone: their
 * pages are correct, the key order of one sort value is then sorted by the server.
 */
export const SORT_INDEX_NAME = 'streamforge_sort';

/** The persistent index on one of a collection's `indexedFields`. */
export function fieldIndexName(field: string): string {
  return `streamforge_field_${field}`;
}

export interface ArangoStoreOptions {
  /** Server URL, e.g. `http://arangodb:8529`; several for a cluster's coordinators. */
  readonly url: string | readonly string[];
  /** Created on demand by the first `ensureCollection`. @defaultValue `'streamforge'` */
  readonly databaseName?: string;
  /** @defaultValue `'root'` */
  readonly username?: string;
  readonly password?: string;
  /** Documents per import request; bigger upserts are sent in several. @defaultValue 5000 */
  readonly batchSize?: number;
  /** Aborts a request that got no answer in time (a retriable StoreError). @defaultValue 60000 */
  readonly requestTimeoutMs?: number;
}

/**
 * The production store: one ArangoDB collection per StreamForge collection, with a persistent
 * index on its sort field. Every failure is a StoreError that says whether retrying can help;
 * this class does not retry by itself, the caller's retrier does.
 *
 * The constructor does not connect: arangojs opens connections on the first request.
 */
export class ArangoStore implements Store {
  readonly kind = 'arango' as const;
  readonly #system: Database;
  readonly #db: Database;
  readonly #databaseName: string;
  readonly #batchSize: number;
  /** Sort field per collection, learnt from `ensureCollection` or read back from the sort index. */
  readonly #sortFields = new Map<string, string>();
  #databaseReady: Promise<void> | undefined;
  #closed = false;

  constructor(options: ArangoStoreOptions) {
    this.#databaseName = options.databaseName ?? 'streamforge';
    this.#batchSize = options.batchSize ?? 5000;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new StoreError(`batchSize must be a positive integer, got ${this.#batchSize}`);
    }
    this.#system = new Database({
      url: typeof options.url === 'string' ? options.url : [...options.url],
      databaseName: '_system',
      auth: { username: options.username ?? 'root', ...(options.password !== undefined ? { password: options.password } : {}) },
      timeout: options.requestTimeoutMs ?? 60_000,
    });
    // Shares the system handle's connection: `close()` on either closes both.
    this.#db = this.#system.database(this.#databaseName);
  }

  get databaseName(): string {
    return this.#databaseName;
  }

  async ensureCollection(name: string, options: CollectionOptions): Promise<void> {
    assertCollectionName(name);
    assertSortField(options.sortField);
    for (const field of options.indexedFields ?? []) assertFieldName(field, 'indexed field');
    if (this.#sortFields.has(name)) return;
    try {
      await this.#ensureDatabase();
      await this.#createCollection(name, options.kind ?? 'document');
      this.#sortFields.set(name, await this.#ensureSortIndex(name, options.sortField));
      // ensureIndex is idempotent for the same name and fields: every process may ask.
      for (const field of options.indexedFields ?? []) {
        await this.#db.collection(name).ensureIndex({ type: 'persistent', name: fieldIndexName(field), fields: [field] });
      }
    } catch (err) {
      throw storeErrorFrom(err, 'ensureCollection', name);
    }
  }

  async upsert(collection: string, documents: readonly StoredDocument[]): Promise<void> {
    assertCollectionName(collection);
    const target = this.#db.collection(collection);
    for (const batch of upsertBatches(documents, this.#batchSize)) {
      let result;
      try {
        // `complete`: a batch with one bad document imports nothing, so a retry or a dead letter
        // covers the whole batch; `replace` makes a replayed batch a no-op.
        result = await target.import(batch, { onDuplicate: 'replace', complete: true, details: true });
      } catch (err) {
        throw storeErrorFrom(err, 'upsert', collection);
      }
      if (result.errors > 0) {
        throw new StoreError(`ArangoDB upsert on ${collection} rejected ${result.errors} of ${batch.length} documents`, {
          retriable: false,
          details: { failure: 'document', collection, rejected: result.errors, examples: (result.details ?? []).slice(0, 3) },
        });
      }
    }
  }

  async get(collection: string, key: string): Promise<StoredDocument | undefined> {
    assertCollectionName(collection);
    const [doc] = await this.#all(getQuery(collection, key), 'get', collection);
    return doc;
  }

  /**
   * Reads the document with its `_rev`, checks the expectations, then replaces it on the condition
   * that `_rev` is unchanged (`If-Match`): a write in between (another claimer's) makes the server
   * refuse the replace with a precondition failure, which resolves `false`.
   */
  async compareAndSet(collection: string, document: StoredDocument, expected: ExpectedFields): Promise<boolean> {
    assertCollectionName(collection);
    assertExpectedFields(expected);
    const target = this.#db.collection(collection);
    try {
      const current = (await target.document(document._key, { graceful: true })) as (StoredDocument & { _rev: string }) | null;
      if (current === null || !fieldsMatch(current, expected)) return false;
      await target.replace(document._key, document, { ifMatch: current._rev, silent: true });
      return true;
    } catch (err) {
      if (isRevisionConflict(err)) return false;
      throw storeErrorFrom(err, 'compareAndSet', collection);
    }
  }

  async findWhere(collection: string, field: string, values: readonly FieldValue[]): Promise<StoredDocument[]> {
    assertCollectionName(collection);
    assertFieldName(field);
    for (const value of values) assertFieldValue(field, value);
    if (values.length === 0) return [];
    const sortField = await this.#sortFieldOf(collection);
    return this.#all(findQuery(collection, sortField, field, values), 'findWhere', collection);
  }

  async delete(collection: string, keys: readonly string[]): Promise<number> {
    assertCollectionName(collection);
    if (keys.length === 0) return 0;
    const removed = await this.#all(deleteQuery(collection, keys), 'delete', collection);
    return removed.filter((k) => k !== null).length;
  }

  async range(collection: string, query: RangeQuery = {}): Promise<StoredDocument[]> {
    assertCollectionName(collection);
    const sortField = await this.#sortFieldOf(collection);
    return this.#all(rangeQuery(collection, sortField, query), 'range', collection);
  }

  async rangePage(collection: string, query: PageQuery): Promise<StorePage> {
    assertCollectionName(collection);
    const sortField = await this.#sortFieldOf(collection);
    const rows = await this.#all(pageQuery(collection, sortField, query), 'rangePage', collection);
    const last = rows.at(-1);
    const documents = rows.map((r) => r.doc);
    return rows.length === query.limit && last ? { documents, next: { sort: last.sort, key: last.doc._key } } : { documents };
  }

  async count(collection: string, query: RangeQuery = {}): Promise<number> {
    assertCollectionName(collection);
    const sortField = await this.#sortFieldOf(collection);
    const [n] = await this.#all(countQuery(collection, sortField, query), 'count', collection);
    return n ?? 0;
  }

  async listCollections(prefix = ''): Promise<string[]> {
    let collections;
    try {
      collections = await this.#db.listCollections(true);
    } catch (err) {
      // No database yet means no collections yet: it is created by the first ensureCollection.
      if (isDatabaseNotFound(err)) return [];
      throw storeErrorFrom(err, 'listCollections');
    }
    return collections
      .map((c) => c.name)
      .filter((name) => !name.startsWith('_') && name.startsWith(prefix))
      .sort();
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#system.close();
    }
    return Promise.resolve();
  }

  async #all<T>(query: AqlQuery<T>, operation: string, collection: string): Promise<T[]> {
    try {
      const cursor = await this.#db.query(query, { batchSize: 10_000 });
      return await cursor.all();
    } catch (err) {
      throw storeErrorFrom(err, operation, collection);
    }
  }

  #ensureDatabase(): Promise<void> {
    this.#databaseReady ??= this.#createDatabaseIfMissing().catch((err: unknown) => {
      this.#databaseReady = undefined; // let the next call try again
      throw err;
    });
    return this.#databaseReady;
  }

  async #createDatabaseIfMissing(): Promise<void> {
    // Asking first lets a user without rights on `_system` use a database an admin created.
    if (await this.#db.exists()) return;
    try {
      await this.#system.createDatabase(this.#databaseName);
    } catch (err) {
      if (!isDuplicateName(err)) throw err; // another process created it first
    }
  }

  async #createCollection(name: string, kind: 'document' | 'edge'): Promise<void> {
    try {
      if (kind === 'edge') await this.#db.createEdgeCollection(name);
      else await this.#db.createCollection(name);
    } catch (err) {
      if (!isDuplicateName(err)) throw err;
    }
  }

  async ensureGraph(name: string, options: GraphOptions): Promise<void> {
    assertCollectionName(name);
    assertCollectionName(options.vertexCollection);
    assertCollectionName(options.edgeCollection);
    try {
      await this.#ensureDatabase();
      const graph = this.#db.graph(name);
      if (await graph.exists()) return;
      await graph.create([{ collection: options.edgeCollection, from: [options.vertexCollection], to: [options.vertexCollection] }]);
    } catch (err) {
      if (isDuplicateName(err)) return;
      throw storeErrorFrom(err, 'ensureGraph', name);
    }
  }

  /** Creates the sort index unless the collection has one; the first sort field given wins, as in the embedded store. */
  async #ensureSortIndex(collection: string, sortField: string): Promise<string> {
    const existing = await this.#readSortField(collection);
    if (existing !== undefined) return existing;
    try {
      // `_key` second: pages in the total order (sort field, key) walk the index, no sort in memory.
      await this.#db.collection(collection).ensureIndex({ type: 'persistent', name: SORT_INDEX_NAME, fields: [sortField, '_key'] });
      return sortField;
    } catch (err) {
      // A concurrent ensureCollection with another sort field won the race: use its index.
      const winner = await this.#readSortField(collection);
      if (winner !== undefined) return winner;
      throw err;
    }
  }

  async #readSortField(collection: string): Promise<string | undefined> {
    const indexes = await this.#db.collection(collection).indexes();
    const field = indexes.find((index) => index.name === SORT_INDEX_NAME)?.fields[0];
    return typeof field === 'string' ? field : undefined;
  }

  async #sortFieldOf(collection: string): Promise<string> {
    const known = this.#sortFields.get(collection);
    if (known !== undefined) return known;
    let field;
    try {
      field = await this.#readSortField(collection);
    } catch (err) {
      throw storeErrorFrom(err, 'read sort field', collection);
    }
    if (field === undefined) {
      throw new StoreError(`collection ${collection} has no ${SORT_INDEX_NAME} index: create it with ensureCollection first`, {
        retriable: false,
        details: { failure: 'not_found', collection },
      });
    }
    this.#sortFields.set(collection, field);
    return field;
  }
}
