import { writeAscii, writeInteger, writeUnits8 } from './byte-writer.ts';
import { emptyKlineValues } from './kline-generator.ts';
import type { KlineSeries, KlineValues } from './kline-generator.ts';

const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const QUOTE = 34;
/** Generous bound on one row's bytes: 3 integers, 8 decimals of up to 60 digits, punctuation. */
const MAX_ROW_BYTES = 3 * 17 + 8 * 64 + 64;

function writeDecimal(buf: Buffer, pos: number, units: number | bigint): number {
  buf[pos] = QUOTE;
  const at = writeUnits8(buf, pos + 1, units);
  buf[at] = QUOTE;
  return at + 1;
}

function writeRow(buf: Buffer, pos: number, v: KlineValues): number {
  let at = pos;
  buf[at++] = OPEN_BRACKET;
  at = writeInteger(buf, at, v.openMs);
  buf[at++] = COMMA;
  at = writeDecimal(buf, at, v.open);
  buf[at++] = COMMA;
  at = writeDecimal(buf, at, v.high);
  buf[at++] = COMMA;
  at = writeDecimal(buf, at, v.low);
  buf[at++] = COMMA;
  at = writeDecimal(buf, at, v.close);
  buf[at++] = COMMA;
  at = writeDecimal(buf, at, v.volume);
  buf[at++] = COMMA;
  at = writeInteger(buf, at, v.closeMs);
  buf[at++] = COMMA;
  at = writeDecimal(buf, at, v.quoteVolume);
  buf[at++] = COMMA;
  at = writeInteger(buf, at, v.trades);
  buf[at++] = COMMA;
  at = writeDecimal(buf, at, v.takerBaseVolume);
  buf[at++] = COMMA;
  at = writeDecimal(buf, at, v.takerQuoteVolume);
  at = writeAscii(buf, at, ',"0"]');
  return at;
}

/**
 * The klines opening at `openTimes`, serialised to exactly the bytes JSON.stringify would give
 * for the same rows, without building any string on the way (the serving hot path).
 */
export function klinesJson(series: KlineSeries, openTimes: readonly number[], nowMs: number): Buffer {
  const buf = Buffer.allocUnsafe(2 + openTimes.length * (MAX_ROW_BYTES + 1));
  const values = emptyKlineValues();
  let at = 0;
  buf[at++] = OPEN_BRACKET;
  for (let i = 0; i < openTimes.length; i++) {
    if (i > 0) buf[at++] = COMMA;
    series.fill(values, openTimes[i] ?? 0, nowMs);
    at = writeRow(buf, at, values);
  }
  buf[at++] = CLOSE_BRACKET;
  return buf.subarray(0, at);
}
