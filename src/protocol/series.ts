import { z } from 'zod';
import { Candle, candleKey, CANDLE_COLUMNS } from './candle.ts';
import { EndOfStream } from './data-message.ts';
import { DepthRecord } from './depth.ts';
import type { ParsedStreamType, RecordKind } from './stream-type.ts';
import { AggTrade, AGG_TRADE_COLUMNS, Trade, TRADE_COLUMNS } from './trade.ts';

export type SeriesRecord = Candle | AggTrade | Trade | DepthRecord;

/** How one kind of record is validated, keyed, ordered and printed. */
export interface SeriesSpec<R extends SeriesRecord = SeriesRecord> {
  readonly record: RecordKind;
  readonly schema: z.ZodType<R>;
  /** What a data topic of this kind carries: records, then one end marker. */
  readonly message: z.ZodType<R | EndOfStream>;
  /** The numeric field stored collections are ordered, ranged and counted on: a time in epoch ms. */
  readonly sortField: string;
  /** The deterministic document key: replays overwrite, never duplicate. */
  key(record: R): string;
  /** Its time in epoch ms (the sort field's value). */
  time(record: R): number;
  /** Order among records of the same time: the exchange's id or update id. */
  sequence(record: R): number;
  /** Output columns, in order. */
  readonly columns: readonly string[];
}

function spec<R extends SeriesRecord>(s: Omit<SeriesSpec<R>, 'message'>): SeriesSpec<R> {
  // Records first: nearly every message is one, so the common case takes a single parse.
  return { ...s, message: z.union([s.schema, EndOfStream]) };
}

export const CANDLE_SERIES = spec<Candle>({
  record: 'candle',
  schema: Candle,
  sortField: 'open_time',
  key: candleKey,
  time: (c) => c.open_time,
  sequence: (c) => c.open_time,
  columns: CANDLE_COLUMNS,
});

export const AGG_TRADE_SERIES = spec<AggTrade>({
  record: 'agg_trade',
  schema: AggTrade,
  sortField: 'timestamp',
  key: (t) => `${t.symbol}_${t.trade_id}`,
  time: (t) => t.timestamp,
  sequence: (t) => t.trade_id,
  columns: AGG_TRADE_COLUMNS,
});

export const TRADE_SERIES = spec<Trade>({
  record: 'trade',
  schema: Trade,
  sortField: 'timestamp',
  key: (t) => `${t.symbol}_${t.trade_id}`,
  time: (t) => t.timestamp,
  sequence: (t) => t.trade_id,
  columns: TRADE_COLUMNS,
});

export const DEPTH_SERIES = spec<DepthRecord>({
  record: 'depth',
  schema: DepthRecord,
  sortField: 'event_time',
  key: (r) => (r.record === 'depth_update' ? `${r.symbol}_u${r.final_update_id}` : `${r.symbol}_s${r.last_update_id}_${r.reason}`),
  time: (r) => r.event_time,
  // A snapshot at update id n sorts after the diff that ended at n.
  sequence: (r) => (r.record === 'depth_update' ? r.final_update_id : r.last_update_id + 0.5),
  columns: ['record', 'event_time', 'first_update_id', 'final_update_id', 'last_update_id', 'reason', 'bids', 'asks'],
});

const BY_RECORD: Readonly<Record<RecordKind, SeriesSpec>> = {
  candle: CANDLE_SERIES,
  agg_trade: AGG_TRADE_SERIES,
  trade: TRADE_SERIES,
  depth: DEPTH_SERIES,
};

export function seriesOf(type: ParsedStreamType): SeriesSpec {
  return BY_RECORD[type.record];
}
