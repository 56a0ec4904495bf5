import { z } from 'zod';
import { Decimal } from './decimal.ts';

/** One row of `GET /api/v3/aggTrades`: aggregate id, price, qty, first/last trade id, time, buyer-is-maker, best match. */
export const AggTradeRow = z.object({
  a: z.number().int().nonnegative(),
  p: Decimal,
  q: Decimal,
  f: z.number().int(),
  l: z.number().int(),
  T: z.number().int().nonnegative(),
  m: z.boolean(),
  M: z.boolean(),
});
export type AggTradeRow = z.infer<typeof AggTradeRow>;
export const AggTradeRows = z.array(AggTradeRow);

/** One row of `GET /api/v3/historicalTrades`. */
export const TradeRow = z.object({
  id: z.number().int().nonnegative(),
  price: Decimal,
  qty: Decimal,
  quoteQty: Decimal.optional(),
  time: z.number().int().nonnegative(),
  isBuyerMaker: z.boolean(),
  isBestMatch: z.boolean(),
});
export type TradeRow = z.infer<typeof TradeRow>;
export const TradeRows = z.array(TradeRow);

/** An aggregate trade on a data topic and in the store, with the original's field names. */
export const AggTrade = z.object({
  trade_id: z.number().int().nonnegative(),
  price: Decimal,
  quantity: Decimal,
  first_trade_id: z.number().int(),
  last_trade_id: z.number().int(),
  timestamp: z.number().int().nonnegative(),
  is_buyer_maker: z.boolean(),
  is_best_match: z.boolean(),
  symbol: z.string().min(1),
});
export type AggTrade = z.infer<typeof AggTrade>;

/** A single trade (`ws_trades`), keyed by the exchange's trade id. */
export const Trade = z.object({
  trade_id: z.number().int().nonnegative(),
  price: Decimal,
  quantity: Decimal,
  timestamp: z.number().int().nonnegative(),
  is_buyer_maker: z.boolean(),
  is_best_match: z.boolean(),
  symbol: z.string().min(1),
});
export type Trade = z.infer<typeof Trade>;

export const AGG_TRADE_COLUMNS = [
  'trade_id',
  'price',
  'quantity',
  'first_trade_id',
  'last_trade_id',
  'timestamp',
  'is_buyer_maker',
  'is_best_match',
] as const;

export const TRADE_COLUMNS = ['trade_id', 'price', 'quantity', 'timestamp', 'is_buyer_maker', 'is_best_match'] as const;

export function aggTradeFromRow(row: AggTradeRow, symbol: string): AggTrade {
  return {
    trade_id: row.a,
    price: row.p,
    quantity: row.q,
    first_trade_id: row.f,
    last_trade_id: row.l,
    timestamp: row.T,
    is_buyer_maker: row.m,
    is_best_match: row.M,
    symbol,
  };
}

export function tradeFromRow(row: TradeRow, symbol: string): Trade {
  return {
    trade_id: row.id,
    price: row.price,
    quantity: row.qty,
    timestamp: row.time,
    is_buyer_maker: row.isBuyerMaker,
    is_best_match: row.isBestMatch,
    symbol,
  };
}
