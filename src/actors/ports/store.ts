/** A stored document: a JSON object with a deterministic `_key`. */
export interface StoredDocument {
  readonly _key: string;
  readonly [field: string]: unknown;
}

export interface CollectionOptions {
  /** A numeric field range queries and counts run on (e.g. `open_time`). */
  readonly sortField: string;
}

export interface RangeQuery {
  /** Inclusive lower bound on the sort field. */
  readonly from?: number;
  /** Exclusive upper bound on the sort field. */
  readonly to?: number;
  readonly limit?: number;
}

/** The document store as actors see it: ArangoDB in production, SQLite embedded by default. */
export interface Store {
  readonly kind: 'embedded' | 'arango';
  ensureCollection(name: string, options: CollectionOptions): Promise<void>;
  /** Idempotent: documents with an existing `_key` are replaced; the last of duplicate keys in a batch wins. */
  upsert(collection: string, documents: readonly StoredDocument[]): Promise<void>;
  get(collection: string, key: string): Promise<StoredDocument | undefined>;
  /** Documents ordered by the sort field ascending. */
  range(collection: string, query?: RangeQuery): Promise<StoredDocument[]>;
  count(collection: string, query?: RangeQuery): Promise<number>;
  listCollections(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}
