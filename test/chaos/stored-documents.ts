import type { Store, StoredDocument } from '../../src/actors/index.ts';

/** Whether the connector has created the collection yet (it does on its first write). */
async function exists(store: Store, collection: string): Promise<boolean> {
  return (await store.listCollections(collection)).includes(collection);
}

/** Documents in a workflow's collection; 0 before its connector created it. */
export async function countStored(store: Store, collection: string): Promise<number> {
  return (await exists(store, collection)) ? store.count(collection) : 0;
}

/** Every document of a workflow's collection; none before its connector created it. */
export async function allStored(store: Store, collection: string): Promise<StoredDocument[]> {
  return (await exists(store, collection)) ? store.range(collection) : [];
}
