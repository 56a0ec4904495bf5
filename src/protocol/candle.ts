import { z } from 'zod';
import { Decimal } from './decimal.ts';
import { Interval } from './intervals.ts';

/** One kline row exactly as `GET /api/v3/klines` returns it. */
export const KlineRow = z.tuple([
  z.number().int(), // open time
  Decimal, // open
  Decimal, // high
  Decimal, // low
  Decimal, // close
  Decimal, // volume
  z.number().int(), // close time
  Decimal, // quote asset volume
  z.number().int().nonnegative(), // number of trades
  Decimal, // taker buy base asset volume
  Decimal, // taker buy quote asset volume
  z.unknown(), // ignore
]);
export type KlineRow = z.infer<typeof KlineRow>;

export const KlineRows = z.array(KlineRow);

/** A candle record on a data topic and in the store, with the original's field names. */
export const Candle = z.object({
  open_time: z.number().int().nonnegative(),
  open: Decimal,
  high: Decimal,
  low: Decimal,
  close: Decimal,
  volume: Decimal,
  close_time: z.number().int().nonnegative(),
  quote_asset_volume: Decimal,
  number_of_trades: z.number().int().nonnegative(),
  taker_buy_base_asset_volume: Decimal,
  taker_buy_quote_asset_volume: Decimal,
  symbol: z.string().min(1),
  interval: Interval,
});
export type Candle = z.infer<typeof Candle>;

/** CSV and query output order. */
export const CANDLE_COLUMNS = [
  'open_time',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'close_time',
  'quote_asset_volume',
  'number_of_trades',
  'taker_buy_base_asset_volume',
  'taker_buy_quote_asset_volume',
] as const;

export function candleFromKline(row: KlineRow, symbol: string, interval: Interval): Candle {
  return {
    open_time: row[0],
    open: row[1],
    high: row[2],
    low: row[3],
    close: row[4],
    volume: row[5],
    close_time: row[6],
    quote_asset_volume: row[7],
    number_of_trades: row[8],
    taker_buy_base_asset_volume: row[9],
    taker_buy_quote_asset_volume: row[10],
    symbol,
    interval,
  };
}

/** The deterministic document key: (symbol, interval, open_time). Replays overwrite, never duplicate. */
export function candleKey(c: Pick<Candle, 'symbol' | 'interval' | 'open_time'>): string {
  return `${c.symbol}_${c.interval}_${c.open_time}`;
}
