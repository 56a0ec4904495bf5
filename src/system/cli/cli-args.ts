import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { ACCEPTED_INSTANTS, Interval, MarketSymbol, parseInstant, StreamType } from '../../protocol/index.ts';
import type { TimeRange } from '../../protocol/index.ts';
import { UsageError } from './usage-error.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking; any violation becomes a UsageError (exit 2). */
export function parseCli<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function requireSymbol(positional: string | undefined): string {
  if (!positional) throw new UsageError('missing <SYMBOL> (e.g. BTCUSDT)');
  const parsed = MarketSymbol.safeParse(positional);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'invalid symbol');
  return parsed.data;
}

export function requireType(type: string | undefined): string {
  if (!type) throw new UsageError('missing --type (e.g. --type api_candles_1m)');
  const parsed = StreamType.safeParse(type);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'invalid type');
  return parsed.data;
}

export function requireInterval(interval: string | undefined): Interval {
  if (!interval) throw new UsageError('missing --interval (e.g. --interval 1m)');
  const parsed = Interval.safeParse(interval);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'invalid interval');
  return parsed.data;
}

export function requireRange(from: string | undefined, to: string | undefined): TimeRange {
  if (!from) throw new UsageError(`missing --from (${ACCEPTED_INSTANTS})`);
  if (!to) throw new UsageError(`missing --to (${ACCEPTED_INSTANTS})`);
  const fromMs = parseInstant(from);
  if (fromMs === undefined) throw new UsageError(`invalid --from ${JSON.stringify(from)}; accepted: ${ACCEPTED_INSTANTS}`);
  const toMs = parseInstant(to);
  if (toMs === undefined) throw new UsageError(`invalid --to ${JSON.stringify(to)}; accepted: ${ACCEPTED_INSTANTS}`);
  if (fromMs >= toMs) throw new UsageError(`--from must be before --to (the range is half-open: [from, to)); got ${from} .. ${to}`);
  return { fromMs, toMs };
}
