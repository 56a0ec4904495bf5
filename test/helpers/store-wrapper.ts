import type { Store } from '../../src/actors/index.ts';

/** The store with some methods replaced: every other call goes to the real one (private fields and all). */
export function storeWith(store: Store, overrides: Partial<Omit<Store, 'kind'>>): Store {
  return {
    kind: store.kind,
    ensureCollection: overrides.ensureCollection ?? ((name, options) => store.ensureCollection(name, options)),
    ensureGraph: overrides.ensureGraph ?? ((name, options) => store.ensureGraph(name, options)),
    upsert: overrides.upsert ?? ((collection, documents) => store.upsert(collection, documents)),
    get: overrides.get ?? ((collection, key) => store.get(collection, key)),
    compareAndSet: overrides.compareAndSet ?? ((collection, document, expected) => store.compareAndSet(collection, document, expected)),
    findWhere: overrides.findWhere ?? ((collection, field, values) => store.findWhere(collection, field, values)),
    delete: overrides.delete ?? ((collection, keys) => store.delete(collection, keys)),
    range: overrides.range ?? ((collection, query) => store.range(collection, query)),
    rangePage: overrides.rangePage ?? ((collection, query) => store.rangePage(collection, query)),
    count: overrides.count ?? ((collection, query) => store.count(collection, query)),
    listCollections: overrides.listCollections ?? ((prefix) => store.listCollections(prefix)),
    close: overrides.close ?? (() => store.close()),
  };
}

/** The store, counting its page reads per collection. */
export function countingPageReads(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  return {
    store: storeWith(store, {
      rangePage: (collection, query) => {
        reads++;
        return store.rangePage(collection, query);
      },
    }),
    reads: () => reads,
  };
}
