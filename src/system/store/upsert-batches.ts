import type { StoredDocument } from '../../actors/ports/index.ts';

/**
 * Documents of one upsert call, keys made unique (the last document of a key wins, at the place
 * of that key's first occurrence) and cut into batches of at most `batchSize`.
 *
 * De-duplicating before sending keeps a batch's outcome independent of how the server orders
 * writes inside one request, and keeps duplicates from landing in two different batches.
 */
export function upsertBatches<T extends StoredDocument>(documents: readonly T[], batchSize: number): T[][] {
  return chunk(dedupeByKey(documents), batchSize);
}

/** One document per `_key`: the last one given, kept at the position of the key's first occurrence. */
export function dedupeByKey<T extends StoredDocument>(documents: readonly T[]): T[] {
  const byKey = new Map<string, T>();
  for (const doc of documents) byKey.set(doc._key, doc);
  return byKey.size === documents.length ? [...documents] : [...byKey.values()];
}

/** Consecutive slices of at most `size` items; none when `items` is empty. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
