import type { AggTradeRow, KlineRow } from '../../protocol/index.ts';

/**
 * Times at or above this are microseconds. Binance switched its spot archive to microseconds for
 * periods from 2025-01-01; deciding per value by magnitude rather than by the file's period reads
 * both kinds of file, and any file re-published in the other unit, correctly: a millisecond time
 * stays below 1e14 until the year 5138, a microsecond time has been above it since 1973.
 */
export const MICROSECOND_THRESHOLD = 1e14;

/** A time from an archive file in epoch milliseconds (microseconds are floored: 1735689659999999 → 1735689659999). */
export function toMillis(time: number): number {
  return time >= MICROSECOND_THRESHOLD ? Math.floor(time / 1000) : time;
}

/** The period a file covers: every row's time must lie in it. */
export interface CsvBounds {
  readonly startMs: number;
  readonly endMs: number;
}

/** Thrown for a row that is not in the archive's format; the caller names the file. */
export class CsvRowError extends Error {
  readonly line: number;

  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'CsvRowError';
    this.line = line;
  }
}

const NEWLINE = 10;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const INTEGER = /^-?\d+$/;
const DEFAULT_CHUNK_BYTES = 1 << 20;

/**
 * The non-empty lines of CSV bytes, without line endings (LF or CRLF). Decodes a chunk at a time,
 * cut at a newline, so a file of any size never becomes one string.
 */
export function* csvLines(bytes: Uint8Array, chunkBytes = DEFAULT_CHUNK_BYTES): Generator<string> {
  const decoder = new TextDecoder();
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + chunkBytes);
    if (end < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, end - 1);
      end = newline === -1 ? bytes.length : newline + 1;
    }
    for (const raw of decoder.decode(bytes.subarray(start, end)).split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim().length > 0) yield line;
    }
    start = end;
  }
}

function integer(field: string | undefined, name: string, line: number): number {
  const value = Number(field);
  if (field === undefined || !INTEGER.test(field) || !Number.isSafeInteger(value)) {
    throw new CsvRowError(line, `${name} ${JSON.stringify(field)} is not an integer`);
  }
  return value;
}

function decimal(field: string | undefined, name: string, line: number): string {
  if (field === undefined || !DECIMAL.test(field)) throw new CsvRowError(line, `${name} ${JSON.stringify(field)} is not a decimal`);
  return field;
}

function bool(field: string | undefined, name: string, line: number): boolean {
  const lower = field?.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new CsvRowError(line, `${name} ${JSON.stringify(field)} is not True or False`);
}

function timeIn(field: string | undefined, name: string, line: number, bounds: CsvBounds): number {
  const ms = toMillis(integer(field, name, line));
  if (ms < bounds.startMs || ms >= bounds.endMs) {
    throw new CsvRowError(line, `${name} ${field} is outside the file's period ${new Date(bounds.startMs).toISOString()}…${new Date(bounds.endMs).toISOString()}`);
  }
  return ms;
}

/** Told of the line number of each row that repeats the row before it exactly; such a row is skipped. */
export type OnRepeat = (line: number) => void;

/**
 * Holds a file's rows to strictly increasing keys (open time, aggregate id). Published files have
 * repeated lines (binance-public-data#191, #203): a row equal to the one before it is skipped, so
 * that it is neither produced twice nor counted twice; any other row that does not move the key
 * forward (out of order, or the same key with other values) makes the file corrupt.
 */
class KeyOrder {
  readonly #name: string;
  #key = Number.NEGATIVE_INFINITY;
  #row: unknown;

  constructor(name: string) {
    this.#name = name;
  }

  /** True for a row that moves the key forward, false for an exact repeat; throws for anything else. */
  next(key: number, row: unknown, line: number): boolean {
    if (key > this.#key) {
      this.#key = key;
      this.#row = row;
      return true;
    }
    if (key < this.#key) throw new CsvRowError(line, `${this.#name} ${key} is before the previous row's ${this.#key}: rows are out of order`);
    // Rare (a repeated key), so comparing the parsed rows as text costs nothing that matters.
    if (JSON.stringify(row) === JSON.stringify(this.#row)) return false;
    throw new CsvRowError(line, `${this.#name} ${key} repeats the previous row's with other values`);
  }
}

/** Some published files start with a header line (`open_time,open,…`); data lines start with a digit. */
function isHeader(line: string, index: number): boolean {
  return index === 0 && !/^\s*-?\d/.test(line);
}

/**
 * Rows of a klines file as REST rows, times in milliseconds: open time, OHLCV, close time, quote
 * volume, trades, taker buy base and quote volumes, ignore. Decimals stay the exact strings. Open
 * times must increase strictly; an exact repeat of the row before is skipped and told to `onRepeat`.
 */
export function* readKlinesCsv(csv: Uint8Array, bounds: CsvBounds, onRepeat?: OnRepeat): Generator<KlineRow> {
  const order = new KeyOrder('open time');
  let index = 0;
  for (const line of csvLines(csv)) {
    const n = ++index;
    if (isHeader(line, n - 1)) continue;
    const f = line.split(',');
    if (f.length < 11 || f.length > 12) throw new CsvRowError(n, `expected 12 kline columns, found ${f.length}`);
    const openTime = timeIn(f[0], 'open time', n, bounds);
    const closeTime = toMillis(integer(f[6], 'close time', n));
    if (closeTime < openTime) throw new CsvRowError(n, 'close time before open time');
    const trades = integer(f[8], 'number of trades', n);
    if (trades < 0) throw new CsvRowError(n, 'negative number of trades');
    const row: KlineRow = [
      openTime,
      decimal(f[1], 'open', n),
      decimal(f[2], 'high', n),
      decimal(f[3], 'low', n),
      decimal(f[4], 'close', n),
      decimal(f[5], 'volume', n),
      closeTime,
      decimal(f[7], 'quote asset volume', n),
      trades,
      decimal(f[9], 'taker buy base asset volume', n),
      decimal(f[10], 'taker buy quote asset volume', n),
      f[11] ?? '0',
    ];
    if (order.next(openTime, row, n)) yield row;
    else onRepeat?.(n);
  }
}

/**
 * Rows of an aggTrades file as REST rows, time in milliseconds: aggregate id, price, quantity,
 * first and last trade id, time, buyer-is-maker, best match (`True`/`False`; a 7-column file
 * without best match reads as `true`, as every spot trade is). Aggregate ids must increase
 * strictly; an exact repeat of the row before is skipped and told to `onRepeat`.
 */
export function* readAggTradesCsv(csv: Uint8Array, bounds: CsvBounds, onRepeat?: OnRepeat): Generator<AggTradeRow> {
  const order = new KeyOrder('aggregate trade id');
  let index = 0;
  for (const line of csvLines(csv)) {
    const n = ++index;
    if (isHeader(line, n - 1)) continue;
    const f = line.split(',');
    if (f.length < 7 || f.length > 8) throw new CsvRowError(n, `expected 8 aggTrades columns, found ${f.length}`);
    const a = integer(f[0], 'aggregate trade id', n);
    if (a < 0) throw new CsvRowError(n, 'negative aggregate trade id');
    const row: AggTradeRow = {
      a,
      p: decimal(f[1], 'price', n),
      q: decimal(f[2], 'quantity', n),
      f: integer(f[3], 'first trade id', n),
      l: integer(f[4], 'last trade id', n),
      T: timeIn(f[5], 'time', n, bounds),
      m: bool(f[6], 'is buyer maker', n),
      M: f[7] === undefined ? true : bool(f[7], 'is best match', n),
    };
    if (order.next(a, row, n)) yield row;
    else onRepeat?.(n);
  }
}
