import { tradeFromRow } from '../../protocol/index.ts';
import type { Trade } from '../../protocol/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import { firstAggTradeAt } from './first-agg-trade.ts';
import { pageLimit, restPage } from './id-paging.ts';
import type { FetchBounds, KeyedRecord, LiveSeries, RestPage } from './live-series.ts';
import { TradeEvent } from './market-stream-events.ts';

/**
 * `ws_trades` from `<symbol>@trade`, keyed by the trade id (consecutive: any jump is a gap), filled
 * over REST with `historicalTrades` by id; the first id at a time is the `f` of the first aggregate
 * trade there (single trades cannot be searched by time).
 */
export function tradeLiveSeries(symbol: string): LiveSeries {
  const keyed = (t: Trade, eventTime?: number): KeyedRecord => ({ key: t.trade_id, time: t.timestamp, doneBefore: t.timestamp, record: t, ...(eventTime === undefined ? {} : { eventTime }) });
  return {
    stream: `${symbol.toLowerCase()}@trade`,
    fromEvent(data) {
      const parsed = TradeEvent.safeParse(data);
      if (!parsed.success) return undefined;
      const e = parsed.data;
      return keyed(
        { trade_id: e.t, price: e.p, quantity: e.q, timestamp: e.T, is_buyer_maker: e.m, is_best_match: e.M, symbol },
        e.E,
      );
    },
    follows: (last, key) => key === last + 1,
    async keyBefore(client, fromMs) {
      const first = await firstAggTradeAt(client, symbol, fromMs);
      return first === undefined ? undefined : first.f - 1;
    },
    async fetchAfter(client: BinanceRestClient, afterKey: number, bounds: FetchBounds): Promise<RestPage> {
      const limit = pageLimit(afterKey, bounds);
      const rows = await client.historicalTrades(symbol, afterKey + 1, limit);
      return restPage(rows.map((r) => keyed(tradeFromRow(r, symbol))), afterKey, limit, bounds);
    },
  };
}
