import { ValidationError } from '../../protocol/index.ts';
import type { Interval } from '../../protocol/index.ts';
import { candleSeriesType } from './candle-query.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The answer to a read of analytics over symbols the store has no candles of: names them, the range,
 * and the command that loads them (a 400 over HTTP, exit 2 in the CLI: the request asks about data
 * that is not there).
 */
export function noCandlesError(symbols: readonly string[], interval: Interval, fromMs: number, toMs: number, needed = ''): ValidationError {
  const type = candleSeriesType(interval);
  const load = symbols.map((s) => `streamforge backfill ${s} --type ${type} --from ${iso(fromMs)} --to ${iso(toMs)}`).join('; ');
  return new ValidationError(
    `no stored ${interval} candles of ${symbols.join(', ')} in [${iso(fromMs)}, ${iso(toMs)})${needed}; load them first: ${load}`,
    { details: { symbols: [...symbols] } },
  );
}
