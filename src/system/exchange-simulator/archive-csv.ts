import type { AggTradeRow } from './agg-trade-generator.ts';
import { writeAscii, writeInteger, writeUnits8 } from './byte-writer.ts';
import { emptyKlineValues } from './kline-generator.ts';
import type { KlineSeries } from './kline-generator.ts';

/** Spot archive files whose period starts at or after this carry microsecond timestamps. */
export const MICROSECOND_ERA_MS = Date.UTC(2025, 0, 1);

const COMMA = 44;
const NEWLINE = 10;
/** Generous bound on one kline line: 3 integers, 8 decimals of up to 60 digits, commas, `0\n`. */
const MAX_KLINE_LINE_BYTES = 3 * 20 + 8 * 64 + 16;

/**
 * The klines opening at `openTimes` as the archive's CSV: no header, the 12 REST columns, times in
 * microseconds when `micros` (a close time then ends in …999999, as Binance writes it).
 */
export function klinesCsv(series: KlineSeries, openTimes: readonly number[], nowMs: number, micros: boolean): Buffer {
  const buf = Buffer.allocUnsafe(openTimes.length * MAX_KLINE_LINE_BYTES);
  const v = emptyKlineValues();
  let at = 0;
  const time = (ms: number, fill: number): number => writeInteger(buf, at, micros ? ms * 1000 + fill : ms);
  for (const openMs of openTimes) {
    series.fill(v, openMs, nowMs);
    at = time(v.openMs, 0);
    for (const units of [v.open, v.high, v.low, v.close, v.volume]) {
      buf[at++] = COMMA;
      at = writeUnits8(buf, at, units);
    }
    buf[at++] = COMMA;
    at = time(v.closeMs, 999);
    buf[at++] = COMMA;
    at = writeUnits8(buf, at, v.quoteVolume);
    buf[at++] = COMMA;
    at = writeInteger(buf, at, v.trades);
    buf[at++] = COMMA;
    at = writeUnits8(buf, at, v.takerBaseVolume);
    buf[at++] = COMMA;
    at = writeUnits8(buf, at, v.takerQuoteVolume);
    at = writeAscii(buf, at, ',0');
    buf[at++] = NEWLINE;
  }
  return buf.subarray(0, at);
}

/** Generous bound on one aggTrades line: 4 integers, a time, 2 decimals of up to 60 digits, booleans. */
const MAX_AGG_TRADE_LINE_BYTES = 5 * 20 + 2 * 64 + 24;

/**
 * Aggregate trades as the archive's CSV: agg id, price, qty, first id, last id, time,
 * is_buyer_maker, is_best_match (Python-style `True`/`False`), no header.
 */
export function aggTradesCsv(rows: readonly AggTradeRow[], micros: boolean): Buffer {
  const buf = Buffer.allocUnsafe(rows.length * MAX_AGG_TRADE_LINE_BYTES);
  let at = 0;
  for (const r of rows) {
    at = writeInteger(buf, at, r.a);
    buf[at++] = COMMA;
    at += buf.write(r.p, at, 'latin1');
    buf[at++] = COMMA;
    at += buf.write(r.q, at, 'latin1');
    buf[at++] = COMMA;
    at = writeInteger(buf, at, r.f);
    buf[at++] = COMMA;
    at = writeInteger(buf, at, r.l);
    buf[at++] = COMMA;
    at = writeInteger(buf, at, micros ? r.T * 1000 : r.T);
    at = writeAscii(buf, at, r.m ? ',True' : ',False');
    at = writeAscii(buf, at, r.M ? ',True\n' : ',False\n');
  }
  return buf.subarray(0, at);
}
