import type { Store } from '../ports/index.ts';

/** What an audit needs of a stretch of a stored series: each record's identity, time and collection, nothing else. */
export interface StoredChunk {
  /** Ascending and distinct: candles' open times, trades' ids. */
  readonly keys: readonly number[];
  /** The record's time (the sort field), index for index with `keys`. */
  readonly times: readonly number[];
  /** Index into the series' collections of the collection holding the record. */
  readonly collectionOf: readonly number[];
}

export interface SeriesFields {
  /** The numeric field collections are sorted and ranged on (`open_time`, `timestamp`). */
  readonly sortField: string;
  /** The field that identifies a record; the sort field when it is the same (candles). */
  readonly idField: string;
}

/** One chunk of a series read from the store: its collections, fields and time span. */
export interface ChunkedRead {
  readonly store: Store;
  readonly collections: readonly string[];
  readonly fields: SeriesFields;
  readonly fromMs: number;
  readonly toMs: number;
  /** The time span read at once: memory holds one chunk's records, never the whole range. */
  readonly chunkMs: number;
}

const PAGE = 50_000;

/** Workflow collections end in the date of their range's start (`btcusdt_api_trades_2024_08_01`). */
const WORKFLOW_COLLECTION = /_\d{4}_\d{2}_\d{2}$/;

/**
 * Every workflow collection named `<prefix>…` for each prefix: each workflow writes its own, and
 * several sources write one series; their documents are keyed the same, so an overlap holds
 * identical records.
 */
export async function seriesCollections(store: Store, prefixes: readonly string[]): Promise<string[]> {
  const collections: string[] = [];
  for (const prefix of prefixes) {
    for (const name of await store.listCollections(prefix)) if (WORKFLOW_COLLECTION.test(name)) collections.push(name);
  }
  return collections;
}

/**
 * Reads `[fromMs, toMs)` of the series chunk by chunk of `chunkMs`, each merged across its
 * collections and de-duplicated by key. Keys rise with time (open times; the exchange numbers trades
 * in time order), so the chunks in turn are ascending: a key not above the previous chunk's last is
 * one already read and is dropped.
 */
export async function* readStoredChunks(read: ChunkedRead, onPage: (records: number) => void = () => undefined): AsyncGenerator<StoredChunk> {
  let records = 0;
  let lastKey = -Infinity;
  for (let from = read.fromMs; from < read.toMs; from += read.chunkMs) {
    const chunk = await readChunk(read, from, Math.min(read.toMs, from + read.chunkMs), (n) => onPage((records += n)));
    const start = chunk.keys.findIndex((key) => key > lastKey);
    if (start < 0) continue;
    const fresh = start === 0 ? chunk : { keys: chunk.keys.slice(start), times: chunk.times.slice(start), collectionOf: chunk.collectionOf.slice(start) };
    lastKey = fresh.keys.at(-1) ?? lastKey;
    yield fresh;
  }
}

/** The time of the stored record with the highest key in `[fromMs, toMs)`, found by reading chunks back from the end. */
export async function newestStoredTime(read: ChunkedRead): Promise<number | undefined> {
  const chunks = Math.ceil((read.toMs - read.fromMs) / read.chunkMs);
  for (let i = chunks - 1; i >= 0; i--) {
    const from = read.fromMs + i * read.chunkMs;
    const chunk = await readChunk(read, from, Math.min(read.toMs, from + read.chunkMs), () => undefined);
    const time = chunk.times.at(-1);
    if (time !== undefined) return time;
  }
  return undefined;
}

/** `[fromMs, toMs)` of every collection, page by page, keeping only keys and times. */
async function readChunk(read: ChunkedRead, fromMs: number, toMs: number, onPage: (records: number) => void): Promise<StoredChunk> {
  const { store, fields } = read;
  const keys: number[] = [];
  const times: number[] = [];
  const owners: number[] = [];
  for (const [index, name] of read.collections.entries()) {
    let from = fromMs;
    for (;;) {
      const docs = await store.range(name, { from, to: toMs, limit: PAGE });
      const before = keys.length;
      for (const doc of docs) {
        const time = doc[fields.sortField];
        const key = doc[fields.idField];
        if (typeof time !== 'number' || typeof key !== 'number') continue;
        keys.push(key);
        times.push(time);
        owners.push(index);
      }
      onPage(keys.length - before);
      const last = docs.at(-1)?.[fields.sortField];
      if (docs.length < PAGE || typeof last !== 'number') break;
      // Records sharing the last time are read again (and de-duplicated) rather than skipped.
      from = last > from ? last : last + 1;
    }
  }
  return sortDistinct(keys, times, owners);
}

function sortDistinct(keys: number[], times: number[], owners: number[]): StoredChunk {
  const order = Uint32Array.from(keys.keys()).sort((a, b) => (keys[a] ?? 0) - (keys[b] ?? 0));
  const out = { keys: [] as number[], times: [] as number[], collectionOf: [] as number[] };
  for (const i of order) {
    const key = keys[i] ?? 0;
    if (out.keys.length > 0 && out.keys[out.keys.length - 1] === key) continue;
    out.keys.push(key);
    out.times.push(times[i] ?? 0);
    out.collectionOf.push(owners[i] ?? 0);
  }
  return out;
}
