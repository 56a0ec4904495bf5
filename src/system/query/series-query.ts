import { parseStreamType, sameSeriesTypes, seriesCollectionPrefix, seriesOf, ValidationError, describeAcceptedTypes } from '../../protocol/index.ts';
import type { ParsedStreamType, SeriesRecord, SeriesSpec } from '../../protocol/index.ts';
import type { Store } from '../../actors/index.ts';
import { collectionDocuments } from './collection-pages.ts';
import { mergeSorted } from './merge-sorted.ts';
import { decodeCursor, encodeCursor } from './page-cursor.ts';

/** Documents per store read: one page per collection of the series is in memory at a time. */
export const SERIES_PAGE_SIZE = 2_000;

export interface SeriesQuery {
  readonly symbol: string;
  /** Any type of the series, e.g. `api_trades`, `ws_aggtrades` and `archive_trades` read the same records. */
  readonly type: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** At most this many records, counted after the merge. */
  readonly limit?: number;
  /** Start strictly after this place of the merged order: the `next` of a previous page. */
  readonly after?: string;
  /** Stops reading the store (before its next page) when aborted. */
  readonly signal?: AbortSignal;
  /** @defaultValue {@link SERIES_PAGE_SIZE} */
  readonly pageSize?: number;
}

export interface SeriesStream {
  readonly spec: SeriesSpec;
  /** The records in order (time, then the exchange's id, then key), each once. */
  readonly records: AsyncGenerator<SeriesRecord>;
  /** The cursor that continues right after `record`. */
  cursorAfter(record: SeriesRecord): string;
}

export interface SeriesResult {
  readonly spec: SeriesSpec;
  readonly records: SeriesRecord[];
}

/** A record's place in a series' merged order. */
type Place = readonly [time: number, sequence: number, key: string];

function placeOf(spec: SeriesSpec, r: SeriesRecord): Place {
  return [spec.time(r), spec.sequence(r), spec.key(r)];
}

function comparePlaces(a: Place, b: Place): number {
  return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

/**
 * Stored records of one series over `[fromMs, toMs)` (on the series' time field), whichever workflows
 * and sources wrote them, as a stream in flat memory: each collection of each type of the series is
 * read a page at a time, and the collections are merged k-way by time, then the exchange's id, then
 * key. Keys are deterministic, so overlapping workflows hold identical documents: a record met in
 * several collections is given once. The limit applies after the merge.
 */
export async function readSeries(store: Store, q: SeriesQuery): Promise<SeriesStream> {
  const parsed = parseStreamType(q.type);
  if (!parsed) throw new ValidationError(`unknown type ${JSON.stringify(q.type)}; accepted: ${describeAcceptedTypes()}`);
  const spec = seriesOf(parsed);
  const after = q.after === undefined ? undefined : decodeCursor(q.after, ['number', 'number', 'string'] as const);
  const collections = await seriesCollections(store, q.symbol, parsed);
  // Resuming reads the cursor's whole time again (its records sort by id, not by key) and skips up to it.
  const fromMs = after === undefined ? q.fromMs : Math.max(q.fromMs, after[0]);
  const sources = collections.map((name) => collectionRecords(store, name, spec, parsed, { ...q, fromMs }));
  return {
    spec,
    records: limited(dedupedAfter(mergeSorted(sources, (a, b) => comparePlaces(placeOf(spec, a), placeOf(spec, b))), spec, after), q.limit),
    cursorAfter: (record) => encodeCursor(placeOf(spec, record)),
  };
}

/** Every stored record of the range in memory: for callers that want them all (the CLI, tests). */
export async function querySeries(store: Store, q: SeriesQuery): Promise<SeriesResult> {
  const { spec, records } = await readSeries(store, q);
  const all: SeriesRecord[] = [];
  for await (const r of records) all.push(r);
  return { spec, records: all };
}

async function seriesCollections(store: Store, symbol: string, type: ParsedStreamType): Promise<string[]> {
  const names: string[] = [];
  for (const sameType of sameSeriesTypes(type)) {
    const prefix = seriesCollectionPrefix(symbol, sameType);
    for (const name of await store.listCollections(prefix)) {
      // `btcusdt_ws_trades_` must not pick up `btcusdt_ws_trades_x_…` of another type: the rest is the date alone.
      if (/^\d{4}_\d{2}_\d{2}$/.test(name.slice(prefix.length))) names.push(name);
    }
  }
  return names;
}

/**
 * One collection's records of the series in merge order. The store orders a page by time then key;
 * records of one time are held back until the time changes and sorted by the exchange's id, so a
 * burst of trades in one millisecond is the most this holds.
 */
async function* collectionRecords(store: Store, collection: string, spec: SeriesSpec, type: ParsedStreamType, q: SeriesQuery): AsyncGenerator<SeriesRecord> {
  let group: SeriesRecord[] = [];
  let groupTime = Number.NaN;
  const bySequence = (a: SeriesRecord, b: SeriesRecord) => comparePlaces(placeOf(spec, a), placeOf(spec, b));
  const docs = collectionDocuments(store, collection, {
    from: q.fromMs,
    to: q.toMs,
    pageSize: q.pageSize ?? Math.min(SERIES_PAGE_SIZE, q.limit ?? SERIES_PAGE_SIZE),
    ...(q.signal ? { signal: q.signal } : {}),
  });
  for await (const doc of docs) {
    const parsed = spec.schema.safeParse(doc);
    if (!parsed.success || parsed.data.symbol !== q.symbol) continue;
    const record = parsed.data;
    if (type.record === 'candle' && 'interval' in record && record.interval !== type.interval) continue;
    const time = spec.time(record);
    if (time !== groupTime && group.length > 0) {
      yield* group.sort(bySequence);
      group = [];
    }
    groupTime = time;
    group.push(record);
  }
  yield* group.sort(bySequence);
}

/** Drops what lies at or before the cursor, and a record equal to the one before it (met in two collections). */
async function* dedupedAfter(records: AsyncGenerator<SeriesRecord>, spec: SeriesSpec, after: Place | undefined): AsyncGenerator<SeriesRecord> {
  let previous = after;
  for await (const r of records) {
    const place = placeOf(spec, r);
    if (previous !== undefined && comparePlaces(place, previous) <= 0) continue;
    previous = place;
    yield r;
  }
}

async function* limited<T>(items: AsyncGenerator<T>, limit: number | undefined): AsyncGenerator<T> {
  if (limit === undefined) {
    yield* items;
    return;
  }
  let n = 0;
  if (limit <= 0) return;
  for await (const item of items) {
    yield item;
    if (++n >= limit) return;
  }
}

/** A CSV cell: nested values (book levels) as JSON, quoted. */
function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `"${JSON.stringify(value).replaceAll('"', '""')}"`;
}

export function seriesCsvHeader(spec: SeriesSpec): string {
  return `${spec.columns.join(',')}\n`;
}

export function seriesCsvRow(spec: SeriesSpec, record: SeriesRecord): string {
  const row = record as unknown as Record<string, unknown>;
  return `${spec.columns.map((c) => cell(row[c])).join(',')}\n`;
}

export function seriesCsv(spec: SeriesSpec, records: readonly SeriesRecord[]): string {
  return seriesCsvHeader(spec) + records.map((r) => seriesCsvRow(spec, r)).join('');
}

/** API and CLI JSON shape of one record: its columns, without the series fields the query already names. */
export function seriesJson(spec: SeriesSpec, record: SeriesRecord): Record<string, unknown> {
  const row = record as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const c of spec.columns) if (row[c] !== undefined) out[c] = row[c];
  return out;
}
