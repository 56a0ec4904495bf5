import { z } from 'zod';

/**
 * Technical indicators computed from stored candles (`streamforge indicators … --ind ema:20,rsi:14`).
 * Definitions follow TA-Lib where TA-Lib has one (EMA, SMA, RSI, ATR).
 */
export const IndicatorNames = ['ema', 'sma', 'rsi', 'atr', 'vwap', 'logret', 'vol'] as const;
export type IndicatorName = (typeof IndicatorNames)[number];

export const MAX_INDICATOR_PERIOD = 10_000;

/** Smallest period per indicator: a volatility (sample standard deviation) needs two returns. */
const MIN_PERIOD: Readonly<Record<IndicatorName, number>> = { ema: 1, sma: 1, rsi: 1, atr: 1, vwap: 1, logret: 1, vol: 2 };

/** How each indicator is written, for error messages. */
const SYNTAX: Readonly<Record<IndicatorName, string>> = {
  ema: 'ema:N',
  sma: 'sma:N',
  rsi: 'rsi:N',
  atr: 'atr:N',
  vwap: 'vwap:N',
  logret: 'logret[:N]',
  vol: 'vol:N',
};

export const ACCEPTED_INDICATORS =
  `a comma-separated list of ${IndicatorNames.map((n) => SYNTAX[n]).join(', ')} ` +
  `(N from 1 to ${MAX_INDICATOR_PERIOD}, vol from 2; logret alone is the 1-candle log return), e.g. ema:20,rsi:14,atr:14,vwap:24`;

/** One indicator and its period (candles; for `logret`, how many candles the return spans). */
export const IndicatorSpec = z
  .object({ name: z.enum(IndicatorNames), period: z.number().int().max(MAX_INDICATOR_PERIOD) })
  .refine((s) => s.period >= MIN_PERIOD[s.name], { error: (i) => `period too small; ${ACCEPTED_INDICATORS} (got ${JSON.stringify(i.input)})` });
export type IndicatorSpec = z.infer<typeof IndicatorSpec>;

/** The output column of an indicator: `ema_20`, `rsi_14`, `vol_24`; `log_return` (`log_return_5` over 5 candles). */
export function indicatorColumn(spec: IndicatorSpec): string {
  if (spec.name === 'logret') return spec.period === 1 ? 'log_return' : `log_return_${spec.period}`;
  return `${spec.name}_${spec.period}`;
}

const ITEM = /^([a-z]+)(?::(\d{1,6}))?$/;

function parseItem(item: string): IndicatorSpec | string {
  const match = ITEM.exec(item.toLowerCase());
  const name = IndicatorNames.find((n) => n === match?.[1]);
  if (match === null || name === undefined) return `unknown indicator ${JSON.stringify(item)}`;
  const digits = match[2];
  if (digits === undefined) return name === 'logret' ? { name, period: 1 } : `${name} needs a period, as in ${name}:14`;
  const period = Number(digits);
  if (period < MIN_PERIOD[name] || period > MAX_INDICATOR_PERIOD) {
    return `${JSON.stringify(item)}: the period of ${name} must be from ${MIN_PERIOD[name]} to ${MAX_INDICATOR_PERIOD}`;
  }
  return { name, period };
}

/** `--ind` / `?ind=`: `ema:20,rsi:14,atr:14,vwap:24` → specs in the order given (each column once). */
export const IndicatorSpecsText = z.string().transform((text, ctx): IndicatorSpec[] => {
  const items = text.split(',').map((s) => s.trim());
  if (items.every((s) => s === '')) {
    ctx.addIssue({ code: 'custom', message: `no indicator given; accepted: ${ACCEPTED_INDICATORS}` });
    return z.NEVER;
  }
  const specs: IndicatorSpec[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const parsed = item === '' ? 'an empty item between commas' : parseItem(item);
    if (typeof parsed === 'string') {
      problems.push(parsed);
      continue;
    }
    const column = indicatorColumn(parsed);
    if (seen.has(column)) problems.push(`${JSON.stringify(item)} is given twice (column ${column})`);
    seen.add(column);
    specs.push(parsed);
  }
  if (problems.length > 0) {
    ctx.addIssue({ code: 'custom', message: `${problems.join('; ')}; accepted: ${ACCEPTED_INDICATORS}` });
    return z.NEVER;
  }
  return specs;
});

/**
 * One row of `streamforge indicators`: the candle's open time (epoch ms) and one value per
 * indicator column, `null` while the indicator warms up (an empty cell in CSV).
 */
export const IndicatorRow = z.object({ open_time: z.number().int().nonnegative() }).catchall(z.number().nullable());
export type IndicatorRow = z.infer<typeof IndicatorRow>;
