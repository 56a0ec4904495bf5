import { ValidationError } from '../../protocol/index.ts';

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const ZERO = /^-?0+(?:\.0+)?$/;

/**
 * A price as an exact, canonical decimal: `"67012.34000000"`, `"067012.34"` and `"67012.340"` all give
 * `"67012.34"`. Prices are never turned into floats: two prices a float64 cannot tell apart are two levels.
 */
export function priceKey(price: string): string {
  const m = DECIMAL.exec(price);
  if (!m) throw new ValidationError(`price ${JSON.stringify(price)} is not a non-negative decimal`);
  const int = (m[1] ?? '0').replace(/^0+(?=\d)/, '');
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return frac === '' ? int : `${int}.${frac}`;
}

/** Orders two {@link priceKey}s numerically: negative when `a < b`, 0 when equal, positive when `a > b`. */
export function comparePriceKeys(a: string, b: string): number {
  if (a === b) return 0;
  const ai = a.indexOf('.');
  const bi = b.indexOf('.');
  const aIntLen = ai === -1 ? a.length : ai;
  const bIntLen = bi === -1 ? b.length : bi;
  // Canonical integer parts have no leading zeros: the longer one is the larger number.
  if (aIntLen !== bIntLen) return aIntLen - bIntLen;
  // Same length: digit strings compare as numbers, and a fraction without trailing zeros compares as text.
  return a < b ? -1 : 1;
}

/** True for `"0"`, `"0.00000000"` and the like: a level with this quantity is removed. */
export function isZeroQuantity(qty: string): boolean {
  return ZERO.test(qty);
}
