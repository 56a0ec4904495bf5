const UNITS_PER_WHOLE = 100_000_000;

/** "0000" … "9999": the fraction costs two lookups instead of a number-to-string conversion. */
const PADDED: readonly string[] = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));

/**
 * Formats an amount counted in 1e-8 units as Binance does: a decimal string with exactly 8
 * decimals, e.g. 6701234000000 → "67012.34000000". `units` must be a non-negative safe integer.
 */
export function formatUnits8(units: number): string {
  const whole = Math.floor(units / UNITS_PER_WHOLE);
  const fraction = units - whole * UNITS_PER_WHOLE;
  const high = Math.floor(fraction / 10_000);
  return `${whole}.${PADDED[high] ?? ''}${PADDED[fraction - high * 10_000] ?? ''}`;
}

/** formatUnits8 for amounts beyond float64 precision: every digit kept. */
export function formatBigUnits8(units: bigint): string {
  // One bigint-to-string, then string slicing: bigint division is the slow part.
  const digits = units.toString().padStart(9, '0');
  return `${digits.slice(0, -8)}.${digits.slice(-8)}`;
}

/** formatUnits8 or formatBigUnits8, whichever the amount needs. */
export function formatAmount8(units: number | bigint): string {
  return typeof units === 'bigint' ? formatBigUnits8(units) : formatUnits8(units);
}
