import { CandleGrid, MissingCandleScan, readStoredChunks, seriesCollections } from '../../actors/index.ts';
import type { Store } from '../../actors/index.ts';
import { INTERVAL_MS, parseStreamType, sameSeriesTypes, seriesCollectionPrefix } from '../../protocol/index.ts';
import type { ParsedStreamType, ReplayHole } from '../../protocol/index.ts';
import { readSeries } from '../query/index.ts';

const DAY_MS = 86_400_000;
/** Candles whose open times are read from the store at once. */
const CHUNK_CANDLES = 100_000;

export interface StoredHolesQuery {
  readonly symbol: string;
  readonly type: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** Candles that have not closed by now are not missing. */
  readonly nowMs: number;
  readonly signal?: AbortSignal;
}

const iso = (ms: number) => new Date(ms).toISOString();

function hole(symbol: string, fromMs: number, toMs: number, count: number, ids?: { fromId: number; toId: number }): ReplayHole {
  return { symbol, from: iso(fromMs), to: iso(toMs), from_ms: fromMs, to_ms: toMs, count, ...(ids ? { from_id: ids.fromId, to_id: ids.toId } : {}) };
}

/**
 * The holes of one stored series over `[fromMs, toMs)`, from the store alone (no exchange call, so an
 * exchange's own maintenance gap looks like a hole too): candles missing from the interval's grid,
 * trade ids missing between stored trades, depth diffs whose first update id does not follow the
 * previous diff's last. Memory holds one chunk of keys, never the range.
 */
export async function storedHoles(store: Store, q: StoredHolesQuery): Promise<ReplayHole[]> {
  const type = parseStreamType(q.type);
  if (!type) return [];
  switch (type.record) {
    case 'candle':
      return candleHoles(store, q, type);
    case 'agg_trade':
    case 'trade':
      return tradeHoles(store, q, type);
    case 'depth':
      return depthHoles(store, q);
  }
}

async function collectionsOf(store: Store, symbol: string, type: ParsedStreamType): Promise<string[]> {
  return seriesCollections(store, sameSeriesTypes(type).map((t) => seriesCollectionPrefix(symbol, t)));
}

async function candleHoles(store: Store, q: StoredHolesQuery, type: ParsedStreamType & { record: 'candle' }): Promise<ReplayHole[]> {
  const toMs = Math.max(q.fromMs, Math.min(q.toMs, CandleGrid.floor(type.interval, q.nowMs)));
  const scan = new MissingCandleScan(type.interval, q.fromMs, toMs);
  const collections = await collectionsOf(store, q.symbol, type);
  const read = { store, collections, fields: { sortField: 'open_time', idField: 'open_time' }, fromMs: q.fromMs, toMs, chunkMs: CHUNK_CANDLES * INTERVAL_MS[type.interval] };
  if (collections.length > 0) {
    for await (const chunk of readStoredChunks(read)) for (const open of chunk.keys) scan.push(open, 0);
  }
  return scan.end().map((run) => hole(q.symbol, run.fromMs, run.toMs, run.count));
}

/** Ids missing between consecutive stored trades (the range's edges would need the exchange to tell). */
async function tradeHoles(store: Store, q: StoredHolesQuery, type: ParsedStreamType): Promise<ReplayHole[]> {
  const collections = await collectionsOf(store, q.symbol, type);
  if (collections.length === 0) return [];
  const read = { store, collections, fields: { sortField: 'timestamp', idField: 'trade_id' }, fromMs: q.fromMs, toMs: q.toMs, chunkMs: DAY_MS };
  const holes: ReplayHole[] = [];
  let prev: { id: number; time: number } | undefined;
  for await (const chunk of readStoredChunks(read)) {
    for (let i = 0; i < chunk.keys.length; i++) {
      const id = chunk.keys[i] ?? 0;
      const time = chunk.times[i] ?? 0;
      if (prev !== undefined && id > prev.id + 1) holes.push(hole(q.symbol, prev.time, time + 1, id - prev.id - 1, { fromId: prev.id + 1, toId: id - 1 }));
      prev = { id, time };
    }
  }
  return holes;
}

/** Diffs whose first update id skips past the previous diff's final one: the book lost events there. */
async function depthHoles(store: Store, q: StoredHolesQuery): Promise<ReplayHole[]> {
  const { records } = await readSeries(store, { symbol: q.symbol, type: q.type, fromMs: q.fromMs, toMs: q.toMs, ...(q.signal ? { signal: q.signal } : {}) });
  const holes: ReplayHole[] = [];
  let prev: { final: number; time: number } | undefined;
  for await (const r of records) {
    if (!('record' in r) || r.record !== 'depth_update') continue;
    if (prev !== undefined && r.first_update_id > prev.final + 1) {
      holes.push(hole(q.symbol, prev.time, r.event_time + 1, r.first_update_id - prev.final - 1, { fromId: prev.final + 1, toId: r.first_update_id - 1 }));
    }
    prev = { final: r.final_update_id, time: r.event_time };
  }
  return holes;
}
