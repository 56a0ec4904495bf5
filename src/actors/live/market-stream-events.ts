import { z } from 'zod';
import { Decimal } from '../../protocol/index.ts';

// The exchange's WebSocket event bodies (the `data` of a combined stream). They belong with the other
// exchange bodies in src/protocol; they live here until the live loader's scope allows moving them.

/** `<symbol>@kline_<interval>`: the candle so far; `x` tells whether it is closed. */
export const KlineEvent = z.object({
  e: z.literal('kline'),
  E: z.number().int(),
  s: z.string(),
  k: z.object({
    t: z.number().int().nonnegative(),
    T: z.number().int().nonnegative(),
    i: z.string(),
    o: Decimal,
    c: Decimal,
    h: Decimal,
    l: Decimal,
    v: Decimal,
    n: z.number().int().nonnegative(),
    x: z.boolean(),
    q: Decimal,
    V: Decimal,
    Q: Decimal,
  }),
});
export type KlineEvent = z.infer<typeof KlineEvent>;

/** `<symbol>@aggTrade`. */
export const AggTradeEvent = z.object({
  e: z.literal('aggTrade'),
  E: z.number().int(),
  s: z.string(),
  a: z.number().int().nonnegative(),
  p: Decimal,
  q: Decimal,
  f: z.number().int(),
  l: z.number().int(),
  T: z.number().int().nonnegative(),
  m: z.boolean(),
  M: z.boolean().default(true),
});
export type AggTradeEvent = z.infer<typeof AggTradeEvent>;

/** `<symbol>@trade`. */
export const TradeEvent = z.object({
  e: z.literal('trade'),
  E: z.number().int(),
  s: z.string(),
  t: z.number().int().nonnegative(),
  p: Decimal,
  q: Decimal,
  T: z.number().int().nonnegative(),
  m: z.boolean(),
  M: z.boolean().default(true),
});
export type TradeEvent = z.infer<typeof TradeEvent>;
