import {
  aggTradeFromRow,
  candleFromKline,
  INTERVAL_MS,
  parseStreamType,
  sameSeriesTypes,
  seriesCollectionPrefix,
  seriesOf,
  tradeFromRow,
  ValidationError,
  workflowNames,
} from '../../protocol/index.ts';
import type { Interval, SeriesRecord, SeriesSpec } from '../../protocol/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import { TRADE_FINALITY_MS } from '../loader/index.ts';
import type { Store, StoredDocument } from '../ports/index.ts';
import { CandleGrid } from './candle-grid.ts';
import { exchangeTradeBounds, forEachAggTradePage, forEachKlinePage, forEachTradePage } from './exchange-records.ts';
import type { TradeRecordKind } from './exchange-records.ts';
import { classifyCandleRun, MissingCandleScan, TradeHoleScan } from './find-holes.ts';
import type { FoundHole } from './find-holes.ts';
import type { GapReport, Hole, RepairResult } from './gap-report.ts';
import { newestStoredTime, readStoredChunks, seriesCollections } from './stored-series.ts';
import type { ChunkedRead, StoredChunk } from './stored-series.ts';

const DAY_MS = 86_400_000;
/** Candles read from the store at once. */
const CHUNK_CANDLES = 100_000;

export interface AuditQuery {
  readonly symbol: string;
  readonly type: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface AuditProgress {
  /** `reading` the store, `checking` holes with the exchange, `repairing` ours. */
  readonly phase: 'reading' | 'checking' | 'repairing';
  readonly done: number;
  readonly total?: number;
}

export interface GapAuditOptions {
  readonly store: Store;
  /** Initialised (`init(symbol)`) for the audited symbol. */
  readonly client: BinanceRestClient;
  /** A stretch without any trade longer than this is reported (as the exchange's). @defaultValue 5 minutes */
  readonly quietMs?: number;
  /**
   * The span of time read from the store at once: memory holds one chunk of the series, however long the range.
   * @defaultValue a day for trades, 100 000 candles of the interval for candles
   */
  readonly chunkMs?: number;
  readonly onProgress?: (progress: AuditProgress) => void;
}

type AuditedSeries =
  | { readonly record: 'candle'; readonly interval: Interval; readonly spec: SeriesSpec }
  | { readonly record: TradeRecordKind; readonly spec: SeriesSpec };

/** Types an audit can check: candles by the interval's grid, trades by their consecutive ids. */
export function auditedSeries(type: string): AuditedSeries | undefined {
  const parsed = parseStreamType(type);
  if (!parsed) return undefined;
  const spec = seriesOf(parsed);
  if (parsed.record === 'candle') return { record: 'candle', interval: parsed.interval, spec };
  if (parsed.record === 'agg_trade' || parsed.record === 'trade') return { record: parsed.record, spec };
  return undefined;
}

/**
 * Finds the holes in one stored series (every collection of it, whichever workflows and sources —
 * REST, live, archive — wrote them),
 * tells the exchange's own holes (maintenance, before the listing) from ours by asking the exchange
 * over REST, and repairs ours: each missing record is fetched and upserted under its series key
 * into the collection of the stored record beside the hole, so each workflow's collection stays
 * whole; a series with nothing stored gets the collection a workflow for the range would have.
 */
export class GapAudit {
  readonly #o: GapAuditOptions;

  constructor(options: GapAuditOptions) {
    this.#o = options;
  }

  async audit(q: AuditQuery): Promise<GapReport> {
    const series = auditedSeries(q.type);
    if (!series) throw new ValidationError(`cannot audit type ${q.type}: only candles and trades have holes an audit can find`);
    const nowMs = Math.floor(this.#o.client.serverNow());
    if (series.record === 'candle') return this.#auditCandles(q, series.interval, nowMs);
    return this.#auditTrades(q, series.record, nowMs);
  }

  /** Fetches every record of `report`'s holes of ours and upserts it; the caller audits again to see the result. */
  async repair(report: GapReport): Promise<RepairResult> {
    const series = auditedSeries(report.type);
    if (!series) throw new ValidationError(`cannot repair type ${report.type}`);
    const ours = report.holes.filter((h) => h.owner === 'ours');
    const nowMs = Math.floor(this.#o.client.serverNow());
    const collections = new Set<string>();
    let records = 0;
    for (const [i, hole] of ours.entries()) {
      this.#o.onProgress?.({ phase: 'repairing', done: i, total: ours.length });
      const collection = hole.collection ?? workflowNames(report.symbol, report.type, report.fromMs).collectionName;
      await this.#o.store.ensureCollection(collection, { sortField: series.spec.sortField });
      collections.add(collection);
      const write = async (found: SeriesRecord[]) => {
        const docs: StoredDocument[] = found.map((r) => ({ _key: series.spec.key(r), ...r }));
        await this.#o.store.upsert(collection, docs);
        records += docs.length;
      };
      await this.#fetchHole(report.symbol, series, hole, nowMs, write);
    }
    this.#o.onProgress?.({ phase: 'repairing', done: ours.length, total: ours.length });
    return { holes: ours.length, records, collections: [...collections] };
  }

  async #auditCandles(q: AuditQuery, interval: Interval, nowMs: number): Promise<GapReport> {
    // Only closed candles are data: the one open now is not missing.
    const toMs = Math.max(q.fromMs, Math.min(q.toMs, CandleGrid.floor(interval, nowMs)));
    const read = await this.#chunkedRead(q, 'open_time', toMs, CHUNK_CANDLES * INTERVAL_MS[interval]);
    const scan = new MissingCandleScan(interval, q.fromMs, toMs);
    const stored = await this.#scan(read, (chunk, i) => scan.push(chunk.keys[i] ?? 0, chunk.collectionOf[i] ?? 0));
    const runs = scan.end();
    const found: FoundHole[] = [];
    for (const [i, run] of runs.entries()) {
      this.#o.onProgress?.({ phase: 'checking', done: i, total: runs.length });
      const onExchange = new Set<number>();
      await forEachKlinePage(this.#o.client, q.symbol, interval, { fromMs: run.fromMs, toMs: run.toMs, nowMs }, (rows) => {
        for (const r of rows) onExchange.add(r[0]);
      });
      found.push(...classifyCandleRun(run, interval, onExchange));
    }
    return this.#report(q, toMs, stored, read.collections, found);
  }

  async #auditTrades(q: AuditQuery, record: TradeRecordKind, nowMs: number): Promise<GapReport> {
    // The newest second may still get trades: like the loader, the audit stops short of it.
    const toMs = Math.max(q.fromMs, Math.min(q.toMs, nowMs - TRADE_FINALITY_MS));
    const read = await this.#chunkedRead(q, 'trade_id', toMs, DAY_MS);
    const knownUpTo = await newestStoredTime(read);
    this.#o.onProgress?.({ phase: 'checking', done: 0, total: 1 });
    const bounds = await exchangeTradeBounds(this.#o.client, q.symbol, record, { fromMs: q.fromMs, toMs, nowMs, knownUpTo });
    const quietMs = this.#o.quietMs ?? 5 * 60_000;
    const scan = bounds && new TradeHoleScan(bounds, quietMs);
    const stored = await this.#scan(read, (chunk, i) => scan?.push(chunk.keys[i] ?? 0, chunk.times[i] ?? 0, chunk.collectionOf[i] ?? 0));
    // No trade at all on the exchange: nothing of ours can be missing.
    const found = scan
      ? scan.end()
      : toMs - q.fromMs > quietMs
        ? [{ owner: 'exchange' as const, fromMs: q.fromMs, toMs, count: 0, neighbour: -1 }]
        : [];
    this.#o.onProgress?.({ phase: 'checking', done: 1, total: 1 });
    return this.#report(q, toMs, stored, read.collections, found);
  }

  async #chunkedRead(q: AuditQuery, idField: string, toMs: number, defaultChunkMs: number): Promise<ChunkedRead> {
    const parsed = parseStreamType(q.type);
    const spec = auditedSeries(q.type)?.spec;
    if (!parsed || !spec) throw new ValidationError(`cannot audit type ${q.type}`);
    // One series whatever the source: REST, live and archive workflows hold the same records under the same keys.
    const prefixes = sameSeriesTypes(parsed).map((type) => seriesCollectionPrefix(q.symbol, type));
    const collections = await seriesCollections(this.#o.store, prefixes);
    const chunkMs = Math.max(1, this.#o.chunkMs ?? defaultChunkMs);
    return { store: this.#o.store, collections, fields: { sortField: spec.sortField, idField }, fromMs: q.fromMs, toMs, chunkMs };
  }

  /** Feeds every stored record of the range, in key order, to `visit`, one chunk in memory at a time; returns how many there are. */
  async #scan(read: ChunkedRead, visit: (chunk: StoredChunk, index: number) => void): Promise<number> {
    let stored = 0;
    for await (const chunk of readStoredChunks(read, (n) => this.#o.onProgress?.({ phase: 'reading', done: n }))) {
      for (let i = 0; i < chunk.keys.length; i++) visit(chunk, i);
      stored += chunk.keys.length;
    }
    return stored;
  }

  /** `found` holes' neighbours are indices into `collections`: a hole of ours is repaired into its neighbour's. */
  #report(q: AuditQuery, toMs: number, stored: number, collections: readonly string[], found: readonly FoundHole[]): GapReport {
    const holes: Hole[] = found.map(({ neighbour, ...hole }) => {
      const collection = collections[neighbour];
      return hole.owner === 'ours' && collection !== undefined ? { ...hole, collection } : hole;
    });
    holes.sort((a, b) => a.fromMs - b.fromMs);
    return { symbol: q.symbol, type: q.type, fromMs: q.fromMs, toMs, stored, holes };
  }

  async #fetchHole(symbol: string, series: AuditedSeries, hole: Hole, nowMs: number, write: (records: SeriesRecord[]) => Promise<void>): Promise<void> {
    const client = this.#o.client;
    if (series.record === 'candle') {
      const { interval } = series;
      await forEachKlinePage(client, symbol, interval, { fromMs: hole.fromMs, toMs: hole.toMs, nowMs }, (rows) =>
        write(rows.map((r) => candleFromKline(r, symbol, interval))),
      );
      return;
    }
    if (hole.fromId === undefined || hole.toId === undefined) return;
    const ids = { fromId: hole.fromId, toId: hole.toId };
    if (series.record === 'agg_trade') {
      await forEachAggTradePage(client, symbol, ids, (rows) => write(rows.map((r) => aggTradeFromRow(r, symbol))));
    } else {
      await forEachTradePage(client, symbol, ids, (rows) => write(rows.map((r) => tradeFromRow(r, symbol))));
    }
  }
}
