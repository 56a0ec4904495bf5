import { z } from 'zod';
import { ACCEPTED_INSTANTS, Interval, MarketSymbol, parseInstant, StreamType } from '../../protocol/index.ts';
import type { TimeRange } from '../../protocol/index.ts';

// zod schemas of command-line values, worded as the CLI speaks (`missing --type`, `invalid --from "x"; accepted: …`).

/** A required string: its absence said in `missing`'s words. */
function required(missing: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? missing : undefined) });
}

/** `<SYMBOL>`, the first positional: upper-cased, checked by the one symbol rule. */
export const SymbolArg = required('missing <SYMBOL> (e.g. BTCUSDT)').pipe(MarketSymbol);

/** The positionals of a command taking one `<SYMBOL>`. */
export const OneSymbol = z
  .array(z.string())
  .max(1, { error: (issue) => `one <SYMBOL> only; got ${(issue.input as string[]).join(' ')}` })
  .transform((positionals) => positionals[0])
  .pipe(SymbolArg);

/** `--type`: a stream type (`api_candles_1m`, `api_trades`, …). */
export const TypeOption = required('missing --type (e.g. --type api_candles_1m)').pipe(StreamType);

/** `--interval`: a Binance interval. */
export const IntervalOption = required('missing --interval (e.g. --interval 1m)').pipe(Interval);

function instant(name: 'from' | 'to') {
  return required(`missing --${name} (${ACCEPTED_INSTANTS})`).transform((text, ctx) => {
    const ms = parseInstant(text);
    if (ms !== undefined) return ms;
    ctx.addIssue({ code: 'custom', message: `invalid --${name} ${JSON.stringify(text)}; accepted: ${ACCEPTED_INSTANTS}` });
    return z.NEVER;
  });
}

/** `--from` and `--to`, each an instant in epoch ms: spread into a command's values, then made a range by {@link rangeOf}. */
export const RangeFields = { from: instant('from'), to: instant('to') };

/** The half-open range of checked `--from` and `--to` (in a transform: `from` must come before `to`). */
export function rangeOf(values: { readonly from: number; readonly to: number }, ctx: z.RefinementCtx): TimeRange {
  if (values.from < values.to) return { fromMs: values.from, toMs: values.to };
  const iso = (ms: number) => new Date(ms).toISOString();
  ctx.addIssue({ code: 'custom', path: ['values', 'from'], message: `--from must be before --to (the range is half-open: [from, to)); got ${iso(values.from)} .. ${iso(values.to)}` });
  return z.NEVER;
}

/** A flag taking one of `accepted`. */
export function oneOf<const T extends readonly [string, ...string[]]>(name: string, accepted: T) {
  return z.enum(accepted, { error: (issue) => `invalid --${name} ${JSON.stringify(issue.input)}; accepted: ${accepted.join(' ')}` });
}

/** A flag taking a whole number of at least `min`, absent allowed. */
export function wholeNumber(name: string, min: number) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return undefined;
      const n = Number(text);
      if (/^\d+$/.test(text.trim()) && Number.isSafeInteger(n) && n >= min) return n;
      ctx.addIssue({ code: 'custom', message: `invalid --${name} ${JSON.stringify(text)}; accepted: a whole number >= ${min}` });
      return z.NEVER;
    });
}

/** `true` when a boolean flag was given. */
export const Flag = z
  .boolean()
  .optional()
  .transform((v) => v === true);

/** A string flag, absent allowed. */
export const Text = z.string().optional();
