import type { Store, StoredDocument, StorePosition } from '../../actors/index.ts';

export interface CollectionPagesQuery {
  readonly from?: number;
  readonly to?: number;
  readonly after?: StorePosition;
  readonly descending?: boolean;
  /** Documents per store read. */
  readonly pageSize: number;
  /** Ends the walk before the next read: its caller went away. */
  readonly signal?: AbortSignal;
}

/**
 * Every document of a collection's range, read a page at a time: one page in memory, the next read
 * only when the caller has taken the last document of this one, none after `signal` aborts or the
 * caller stops iterating.
 */
export async function* collectionDocuments(store: Store, collection: string, q: CollectionPagesQuery): AsyncGenerator<StoredDocument> {
  let after = q.after;
  for (;;) {
    if (q.signal?.aborted === true) return;
    const page = await store.rangePage(collection, {
      limit: q.pageSize,
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
      ...(after !== undefined ? { after } : {}),
      ...(q.descending === true ? { descending: true } : {}),
    });
    yield* page.documents;
    if (page.next === undefined) return;
    after = page.next;
  }
}
