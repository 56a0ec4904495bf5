import { binanceErrors } from './binance-errors.ts';
import type { BinanceFailure } from './binance-errors.ts';

/** A parsed parameter, or the Binance error that rejects the request. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: BinanceFailure };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const rejected = (failure: BinanceFailure): { readonly ok: false; readonly failure: BinanceFailure } => ({
  ok: false,
  failure,
});

const SYMBOL_PATTERN = /^[A-Z0-9\-_.]{1,20}$/;
const SYMBOL_RANGE = '^[A-Z0-9-_.]{1,20}$';
const LONG_PATTERN = /^[0-9]{1,20}$/;
const LONG_RANGE = '^[0-9]{1,20}$';

/** Whether a symbol is made of the characters Binance allows. */
export function isLegalSymbol(symbol: string): boolean {
  return SYMBOL_PATTERN.test(symbol);
}

/** A mandatory parameter: absent or empty is -1102. */
export function readMandatory(params: URLSearchParams, name: string): Parsed<string> {
  const value = params.get(name);
  return value === null || value === '' ? rejected(binanceErrors.mandatoryMissing(name)) : ok(value);
}

/** A symbol: legal characters (-1100), then known (-1121). */
export function checkSymbol(symbol: string, known: ReadonlyMap<string, unknown>): Parsed<string> {
  if (!isLegalSymbol(symbol)) return rejected(binanceErrors.illegalChars('symbol', SYMBOL_RANGE));
  if (!known.has(symbol)) return rejected(binanceErrors.invalidSymbol());
  return ok(symbol);
}

/** An optional LONG parameter: absent is undefined, anything but digits is -1100. */
export function readLong(params: URLSearchParams, name: string): Parsed<number | undefined> {
  const value = params.get(name);
  if (value === null || value === '') return ok(undefined);
  if (!LONG_PATTERN.test(value)) return rejected(binanceErrors.illegalChars(name, LONG_RANGE));
  return ok(Number(value));
}

/** `limit`: default 500, 1..1000 else -1130. */
export function readLimit(params: URLSearchParams): Parsed<number> {
  const limit = readLong(params, 'limit');
  if (!limit.ok) return limit;
  const value = limit.value ?? 500;
  return value < 1 || value > 1000 ? rejected(binanceErrors.invalidParamValue('limit')) : ok(value);
}

/** startTime/endTime: both optional, start must not follow end (-1023). */
export function readTimeRange(
  params: URLSearchParams,
): Parsed<{ startTime: number | undefined; endTime: number | undefined }> {
  const startTime = readLong(params, 'startTime');
  if (!startTime.ok) return startTime;
  const endTime = readLong(params, 'endTime');
  if (!endTime.ok) return endTime;
  if (startTime.value !== undefined && endTime.value !== undefined && startTime.value > endTime.value) {
    return rejected(binanceErrors.startAfterEnd());
  }
  return ok({ startTime: startTime.value, endTime: endTime.value });
}
