import { z } from 'zod';
import { candleFromKline } from './candle.ts';
import type { Candle } from './candle.ts';
import { Decimal } from './decimal.ts';
import { PriceLevel } from './depth.ts';
import type { DepthUpdate } from './depth.ts';
import type { Interval } from './intervals.ts';
import { AggTradeRow } from './trade.ts';
import type { Trade } from './trade.ts';

// The exchange's WebSocket event bodies: the `data` of a combined stream's `{stream, data}`.

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

/** `<symbol>@aggTrade`: a REST aggregate trade row with the event's header; `M` may be left out. */
export const AggTradeEvent = z.object({
  e: z.literal('aggTrade'),
  E: z.number().int(),
  s: z.string(),
  ...AggTradeRow.shape,
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

/** `<symbol>@depth` / `<symbol>@depth@100ms`: `{e:"depthUpdate", E, s, U, u, b, a}`. */
export const DepthEvent = z
  .looseObject({
    e: z.literal('depthUpdate'),
    E: z.number().int().nonnegative(),
    s: z.string().min(1),
    U: z.number().int().nonnegative(),
    u: z.number().int().nonnegative(),
    b: z.array(PriceLevel),
    a: z.array(PriceLevel),
  })
  .refine((e) => e.U <= e.u, { error: 'U must not exceed u' });
export type DepthEvent = z.infer<typeof DepthEvent>;

/** The candle of a kline event, as a REST kline row of it would give. */
export function candleFromKlineEvent(event: KlineEvent, symbol: string, interval: Interval): Candle {
  const { k } = event;
  return candleFromKline([k.t, k.o, k.h, k.l, k.c, k.v, k.T, k.q, k.n, k.V, k.Q, '0'], symbol, interval);
}

export function tradeFromEvent(event: TradeEvent, symbol: string): Trade {
  return { trade_id: event.t, price: event.p, quantity: event.q, timestamp: event.T, is_buyer_maker: event.m, is_best_match: event.M, symbol };
}

/** The stored form of a diff event: the exchange's update ids and decimals kept as sent. */
export function depthUpdateFromEvent(event: DepthEvent): DepthUpdate {
  return {
    record: 'depth_update',
    symbol: event.s,
    first_update_id: event.U,
    final_update_id: event.u,
    event_time: event.E,
    bids: event.b,
    asks: event.a,
  };
}
