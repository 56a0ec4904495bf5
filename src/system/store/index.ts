export * from './embedded-store.ts';
export * from './arango-store.ts';
export * from './create-store.ts';
export { ArangoFailures, classifyArangoError, storeErrorFrom } from './classify-arango-error.ts';
export type { ArangoErrorClass, ArangoFailure } from './classify-arango-error.ts';
export { countQuery, getQuery, pageQuery, rangeQuery } from './arango-queries.ts';
export type { PagedRow } from './arango-queries.ts';
export { chunk, dedupeByKey, upsertBatches } from './upsert-batches.ts';
