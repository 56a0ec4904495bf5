/** Throws a RangeError unless `period` is a positive integer (indicators and windows count candles). */
export function checkPeriod(period: number, what = 'period'): void {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`${what} must be a positive integer, got ${period}`);
}
