/** A stored document: a JSON object with a deterministic `_key`. */
export interface StoredDocument {
  readonly _key: string;
  readonly [field: string]: unknown;
}

export interface CollectionOptions {
  /** A numeric field range queries and counts run on (e.g. `open_time`). */
  readonly sortField: string;
  /**
   * `edge`: documents join two vertices (`_from`, `_to`: `<vertex collection>/<key>`), in ArangoDB
   * an edge collection that graph traversals walk. @defaultValue `document`
   */
  readonly kind?: 'document' | 'edge';
  /** Top-level fields {@link Store.findWhere} looks documents up by, each through an index of its own. @defaultValue none */
  readonly indexedFields?: readonly string[];
}

/** A top-level field's value a document is matched on; `null` also matches a document without the field. */
export type FieldValue = string | number | null;

/** What a compare-and-set expects the stored document to hold: field name → value. */
export type ExpectedFields = Readonly<Record<string, FieldValue>>;

/** A named graph: its vertices in one collection, its edges (between those vertices) in another. */
export interface GraphOptions {
  readonly vertexCollection: string;
  readonly edgeCollection: string;
}

export interface RangeQuery {
  /** Inclusive lower bound on the sort field. */
  readonly from?: number;
  /** Exclusive upper bound on the sort field. */
  readonly to?: number;
  readonly limit?: number;
}

/** A document's place in a collection's order: its sort field's value, then its key. */
export interface StorePosition {
  readonly sort: number;
  readonly key: string;
}

export interface PageQuery {
  /** Inclusive lower bound on the sort field. */
  readonly from?: number;
  /** Exclusive upper bound on the sort field. */
  readonly to?: number;
  /** Exclusive: the page starts right after this position (the previous page's `next`). */
  readonly after?: StorePosition;
  /** At most this many documents: a positive integer. */
  readonly limit: number;
  /** Highest sort value first (then highest key). @defaultValue false */
  readonly descending?: boolean;
}

export interface StorePage {
  /** Ordered by the sort field, then by `_key` (both descending when asked). */
  readonly documents: StoredDocument[];
  /** Where the next page starts; absent when this page was the last. */
  readonly next?: StorePosition;
}

/** The document store as actors see it: ArangoDB in production, SQLite embedded by default. */
export interface Store {
  readonly kind: 'embedded' | 'arango';
  ensureCollection(name: string, options: CollectionOptions): Promise<void>;
  /**
   * Declares a named graph over collections made with {@link ensureCollection} (the edge collection
   * with `kind: 'edge'`): in ArangoDB a named graph AQL traversals and the web UI use; embedded, the
   * same documents, read like any others.
   */
  ensureGraph(name: string, options: GraphOptions): Promise<void>;
  /** Idempotent: documents with an existing `_key` are replaced; the last of duplicate keys in a batch wins. */
  upsert(collection: string, documents: readonly StoredDocument[]): Promise<void>;
  get(collection: string, key: string): Promise<StoredDocument | undefined>;
  /**
   * Compare-and-set: replaces the stored document with `document._key` by `document` only if it
   * exists and every field in `expected` holds the value given (strictly: `1` is not `'1'`), in one
   * atomic step. Of several callers expecting the same state, exactly one succeeds; the others
   * resolve `false` and may read again. Field names: letters, digits and `_`.
   */
  compareAndSet(collection: string, document: StoredDocument, expected: ExpectedFields): Promise<boolean>;
  /**
   * The documents whose `field` holds one of `values` (`null`: also those without it), ordered by
   * the sort field, then key. Served by an index when the collection lists `field` in
   * `indexedFields`, so that the few documents asked for cost what they are, not the collection.
   */
  findWhere(collection: string, field: string, values: readonly FieldValue[]): Promise<StoredDocument[]>;
  /** Removes the documents with these keys (missing ones are fine); resolves with how many were removed. */
  delete(collection: string, keys: readonly string[]): Promise<number>;
  /** Documents ordered by the sort field ascending. */
  range(collection: string, query?: RangeQuery): Promise<StoredDocument[]>;
  /**
   * One page of a range, in a total order (sort field, then key), so that pages read one after
   * another (each from the previous page's `next`) see every document once, whatever was written
   * meanwhile before the position reached. Holds nothing open between pages: a reader that stops
   * costs nothing. Documents whose sort field is not a number are not in any page.
   */
  rangePage(collection: string, query: PageQuery): Promise<StorePage>;
  count(collection: string, query?: RangeQuery): Promise<number>;
  listCollections(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}
