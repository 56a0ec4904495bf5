import { z } from 'zod';

/** An exchange symbol as Binance spells it (`BTCUSDT`); lower case input is upper-cased. */
export const MarketSymbol = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .pipe(
    z.string().regex(/^[A-Z0-9_.-]{1,20}$/, {
      error: (issue) =>
        `invalid symbol ${JSON.stringify(issue.input)}; accepted: 1-20 characters of A-Z 0-9 - _ . (e.g. BTCUSDT)`,
    }),
  );
export type MarketSymbol = z.infer<typeof MarketSymbol>;
