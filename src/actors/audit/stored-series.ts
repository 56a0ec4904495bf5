import type { Store } from '../ports/index.ts';

/** What an audit needs of a stored series: each record's identity, time and collection, nothing else. */
export interface StoredSeries {
  /** Ascending and distinct: candles' open times, trades' ids. */
  readonly keys: readonly number[];
  /** The record's time (the sort field), index for index with `keys`. */
  readonly times: readonly number[];
  /** Index into `collections` of the collection holding the record. */
  readonly collectionOf: readonly number[];
  readonly collections: readonly string[];
}

export interface SeriesFields {
  /** The numeric field collections are sorted and ranged on (`open_time`, `timestamp`). */
  readonly sortField: string;
  /** The field that identifies a record; the sort field when it is the same (candles). */
  readonly idField: string;
}

const PAGE = 50_000;

/** Workflow collections end in the date of their range's start (`btcusdt_api_trades_2024_08_01`). */
const WORKFLOW_COLLECTION = /_\d{4}_\d{2}_\d{2}$/;

/**
 * Reads `[fromMs, toMs)` of every workflow collection named `<prefix>…` for each prefix (each
 * workflow writes its own, and several sources write one series; their documents are keyed the same,
 * so an overlap holds identical records) in pages, keeping only ids and times, merged and
 * de-duplicated by id.
 */
export async function readStoredSeries(
  store: Store,
  prefixes: readonly string[],
  fields: SeriesFields,
  fromMs: number,
  toMs: number,
  onPage: (records: number) => void = () => undefined,
): Promise<StoredSeries> {
  const collections: string[] = [];
  for (const prefix of prefixes) {
    for (const name of await store.listCollections(prefix)) if (WORKFLOW_COLLECTION.test(name)) collections.push(name);
  }
  const keys: number[] = [];
  const times: number[] = [];
  const owners: number[] = [];
  for (const [index, name] of collections.entries()) {
    let from = fromMs;
    for (;;) {
      const docs = await store.range(name, { from, to: toMs, limit: PAGE });
      for (const doc of docs) {
        const time = doc[fields.sortField];
        const key = doc[fields.idField];
        if (typeof time !== 'number' || typeof key !== 'number') continue;
        keys.push(key);
        times.push(time);
        owners.push(index);
      }
      onPage(keys.length);
      const last = docs.at(-1)?.[fields.sortField];
      if (docs.length < PAGE || typeof last !== 'number') break;
      // Records sharing the last time are read again (and de-duplicated) rather than skipped.
      from = last > from ? last : last + 1;
    }
  }
  return sortDistinct(keys, times, owners, collections);
}

function sortDistinct(keys: number[], times: number[], owners: number[], collections: string[]): StoredSeries {
  const order = Uint32Array.from(keys.keys()).sort((a, b) => (keys[a] ?? 0) - (keys[b] ?? 0));
  const out = { keys: [] as number[], times: [] as number[], collectionOf: [] as number[], collections };
  for (const i of order) {
    const key = keys[i] ?? 0;
    if (out.keys.length > 0 && out.keys[out.keys.length - 1] === key) continue;
    out.keys.push(key);
    out.times.push(times[i] ?? 0);
    out.collectionOf.push(owners[i] ?? 0);
  }
  return out;
}
