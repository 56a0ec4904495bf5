import { parseStreamType, sameSeriesTypes, seriesCollectionPrefix, seriesOf, ValidationError, describeAcceptedTypes } from '../../protocol/index.ts';
import type { SeriesRecord, SeriesSpec } from '../../protocol/index.ts';
import type { Store } from '../../actors/index.ts';

export interface SeriesQuery {
  readonly symbol: string;
  /** Any type of the series, e.g. `api_trades`, `ws_aggtrades` and `archive_trades` read the same records. */
  readonly type: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly limit?: number;
}

export interface SeriesResult {
  readonly spec: SeriesSpec;
  readonly records: SeriesRecord[];
}

/**
 * Stored records of one series over `[fromMs, toMs)` (on the series' time field), whichever workflows and
 * sources wrote them: every collection of every type of the series is read and merged by key (keys are
 * deterministic, so overlapping workflows hold identical documents), ordered by time then by the exchange's id.
 */
export async function querySeries(store: Store, q: SeriesQuery): Promise<SeriesResult> {
  const parsed = parseStreamType(q.type);
  if (!parsed) throw new ValidationError(`unknown type ${JSON.stringify(q.type)}; accepted: ${describeAcceptedTypes()}`);
  const spec = seriesOf(parsed);
  const byKey = new Map<string, SeriesRecord>();
  for (const type of sameSeriesTypes(parsed)) {
    for (const name of await store.listCollections(seriesCollectionPrefix(q.symbol, type))) {
      // `btcusdt_ws_trades_` must not pick up `btcusdt_ws_trades_x...` of another type: names end in a date.
      if (!/_\d{4}_\d{2}_\d{2}$/.test(name)) continue;
      const docs = await store.range(name, { from: q.fromMs, to: q.toMs, ...(q.limit ? { limit: q.limit } : {}) });
      for (const doc of docs) {
        const record = spec.schema.safeParse(doc);
        if (!record.success || record.data.symbol !== q.symbol) continue;
        if (parsed.record === 'candle' && 'interval' in record.data && record.data.interval !== parsed.interval) continue;
        byKey.set(spec.key(record.data), record.data);
      }
    }
  }
  const records = [...byKey.values()].sort((a, b) => spec.time(a) - spec.time(b) || spec.sequence(a) - spec.sequence(b));
  return { spec, records: q.limit ? records.slice(0, q.limit) : records };
}

/** A CSV cell: nested values (book levels) as JSON, quoted. */
function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `"${JSON.stringify(value).replaceAll('"', '""')}"`;
}

export function seriesCsv(spec: SeriesSpec, records: readonly SeriesRecord[]): string {
  const lines = [spec.columns.join(',')];
  for (const r of records) {
    const row = r as unknown as Record<string, unknown>;
    lines.push(spec.columns.map((c) => cell(row[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** API and CLI JSON shape of one record: its columns, without the series fields the query already names. */
export function seriesJson(spec: SeriesSpec, record: SeriesRecord): Record<string, unknown> {
  const row = record as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const c of spec.columns) if (row[c] !== undefined) out[c] = row[c];
  return out;
}
