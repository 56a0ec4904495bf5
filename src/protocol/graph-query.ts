import { z } from 'zod';
import { DEFAULT_GRAPH_WINDOW, GraphWindow, MAX_GRAPH_WINDOW } from './graph.ts';
import type { EdgeRule } from './graph.ts';
import { Interval } from './intervals.ts';
import { MARKET_SYMBOL_PATTERN } from './market-symbol.ts';
import { Instant } from './time-range.ts';

/** Symbols one graph reads at most. */
export const MAX_GRAPH_SYMBOLS = 200;

const SYMBOLS_ACCEPTED = `accepted: 2 to ${MAX_GRAPH_SYMBOLS} distinct symbols, comma-separated (e.g. BTCUSDT,ETHUSDT,SOLUSDT)`;

/** `--symbols` / `?symbols=`: `BTCUSDT,ETHUSDT,…`, upper-cased, each once. */
export const GraphSymbolsText = z.string().transform((text, ctx): string[] => {
  const symbols = text.split(',').map((s) => s.trim().toUpperCase());
  const problems: string[] = [];
  for (const s of symbols) if (!MARKET_SYMBOL_PATTERN.test(s)) problems.push(`invalid symbol ${JSON.stringify(s)}`);
  const twice = symbols.filter((s, i) => symbols.indexOf(s) !== i);
  if (twice.length > 0) problems.push(`${[...new Set(twice)].join(', ')} given twice`);
  if (problems.length === 0 && symbols.length < 2) problems.push(`a graph needs at least 2 symbols, got ${symbols.length}`);
  if (symbols.length > MAX_GRAPH_SYMBOLS) problems.push(`${symbols.length} symbols`);
  if (problems.length > 0) {
    ctx.addIssue({ code: 'custom', message: `${problems.join('; ')}; ${SYMBOLS_ACCEPTED}` });
    return z.NEVER;
  }
  return symbols;
});

/** A whole number as query text (digits only: no sign, hex, exponent or spaces). */
const wholeText = (accepted: string) => z.string().regex(/^\d{1,9}$/, { error: `expected a whole number; ${accepted}` }).transform(Number);

const WINDOW_ACCEPTED = `accepted: 3 to ${MAX_GRAPH_WINDOW} log returns`;
const THRESHOLD_ACCEPTED = 'accepted: |ρ| from 0 to 1, e.g. 0.3';
const TOP_K_ACCEPTED = 'accepted: a whole number of neighbours from 1';

/** `GET /graph`: the correlation graph of several symbols' stored candles. */
export const GraphQuery = z
  .object({
    symbols: GraphSymbolsText,
    interval: Interval,
    from: Instant,
    to: Instant,
    /** The window ends at the last candle opening before it. @defaultValue `to` */
    at: Instant.optional(),
    window: wholeText(WINDOW_ACCEPTED).pipe(GraphWindow).default(DEFAULT_GRAPH_WINDOW),
    threshold: z
      .string()
      .regex(/^(0(\.\d{1,9})?|1(\.0{1,9})?|\.\d{1,9})$/, { error: `expected a plain decimal number; ${THRESHOLD_ACCEPTED}` })
      .transform(Number)
      .optional(),
    top_k: wholeText(TOP_K_ACCEPTED)
      .pipe(z.number().int().min(1, { error: `top_k too small; ${TOP_K_ACCEPTED}` }))
      .optional(),
  })
  .superRefine((q, ctx) => {
    if (q.threshold !== undefined && q.top_k !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['top_k'], message: 'threshold and top_k exclude each other; accepted: one of them (default: threshold 0.3)' });
    }
  });
export type GraphQuery = z.infer<typeof GraphQuery>;

/** The edge rule a graph query asks for: `top_k`, else `threshold`; undefined for the default (threshold 0.3). */
export function edgeRuleOf(q: Pick<GraphQuery, 'threshold' | 'top_k'>): EdgeRule | undefined {
  if (q.top_k !== undefined) return { kind: 'top-k', k: q.top_k };
  if (q.threshold !== undefined) return { kind: 'threshold', threshold: q.threshold };
  return undefined;
}
