/**
 * Writes JSON text straight into a byte buffer. Building a 1000-kline body from strings cost more
 * than generating the klines (string ropes, then flattening); writing digits into bytes, two at a
 * time from a table, does not. Every function returns the position after what it wrote.
 */

const ZERO = 48;
const DOT = 46;
const HUNDRED_MILLION = 100_000_000;
const BIG_HUNDRED_MILLION = 100_000_000n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** "00" … "99" as ASCII byte pairs. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => ZERO + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

function writePair(buf: Buffer, pos: number, n: number): void {
  buf[pos] = PAIRS[2 * n] ?? ZERO;
  buf[pos + 1] = PAIRS[2 * n + 1] ?? ZERO;
}

/** Exactly 8 digits, zero-padded: n < 1e8. */
function writePadded8(buf: Buffer, pos: number, n: number): number {
  const high = (n / 10_000) | 0;
  const low = n - high * 10_000;
  const a = (high / 100) | 0;
  const c = (low / 100) | 0;
  writePair(buf, pos, a);
  writePair(buf, pos + 2, high - a * 100);
  writePair(buf, pos + 4, c);
  writePair(buf, pos + 6, low - c * 100);
  return pos + 8;
}

/** n < 1e8, no padding. */
function writeSmall(buf: Buffer, pos: number, n: number): number {
  let length = 1;
  for (let limit = 10; limit <= n; limit *= 10) length++;
  let rest = n;
  let i = pos + length;
  while (rest >= 10) {
    const quotient = (rest / 100) | 0;
    i -= 2;
    writePair(buf, i, rest - quotient * 100);
    rest = quotient;
  }
  if (i > pos) buf[pos] = ZERO + rest;
  return pos + length;
}

/** ASCII text (no escaping: callers write only digits, punctuation and known field names). */
export function writeAscii(buf: Buffer, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[pos + i] = text.charCodeAt(i);
  return pos + text.length;
}

/** A non-negative safe integer in decimal. */
export function writeInteger(buf: Buffer, pos: number, n: number): number {
  if (n < HUNDRED_MILLION) return writeSmall(buf, pos, n);
  const high = Math.floor(n / HUNDRED_MILLION);
  return writePadded8(buf, writeInteger(buf, pos, high), n - high * HUNDRED_MILLION);
}

/** A non-negative bigint in decimal, as 8-digit number limbs (each limb stays a safe integer). */
function writeBigInteger(buf: Buffer, pos: number, n: bigint): number {
  if (n <= MAX_SAFE) return writeInteger(buf, pos, Number(n));
  const high = n / BIG_HUNDRED_MILLION;
  return writePadded8(buf, writeBigInteger(buf, pos, high), Number(n - high * BIG_HUNDRED_MILLION));
}

function writeBigUnits8(buf: Buffer, pos: number, units: bigint): number {
  const whole = units / BIG_HUNDRED_MILLION;
  const at = writeBigInteger(buf, pos, whole);
  buf[at] = DOT;
  return writePadded8(buf, at + 1, Number(units - whole * BIG_HUNDRED_MILLION));
}

/** An amount in 1e-8 units as Binance's 8-decimal string, quotes not included. */
export function writeUnits8(buf: Buffer, pos: number, units: number | bigint): number {
  if (typeof units === 'bigint') return writeBigUnits8(buf, pos, units);
  const whole = Math.floor(units / HUNDRED_MILLION);
  const at = writeInteger(buf, pos, whole);
  buf[at] = DOT;
  return writePadded8(buf, at + 1, units - whole * HUNDRED_MILLION);
}
