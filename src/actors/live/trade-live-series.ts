import { TradeEvent, tradeFromEvent, tradeFromRow } from '../../protocol/index.ts';
import type { Trade } from '../../protocol/index.ts';
import { firstAggTrade } from '../exchange/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import { pageLimit, restPage } from './id-paging.ts';
import type { FetchBounds, KeyedRecord, LiveSeries, RestPage } from './live-series.ts';

/**
 * `ws_trades` from `<symbol>@trade`, keyed by the trade id (consecutive, so every jump is a gap), filled
 * over REST with `historicalTrades` by id; the first id at a time is the `f` of the first aggregate
 * trade there (single trades cannot be searched by time).
 */
export function tradeLiveSeries(symbol: string): LiveSeries {
  const keyed = (t: Trade, eventTime?: number): KeyedRecord => ({ key: t.trade_id, time: t.timestamp, doneBefore: t.timestamp, record: t, ...(eventTime === undefined ? {} : { eventTime }) });
  return {
    stream: `${symbol.toLowerCase()}@trade`,
    fromEvent(data) {
      const parsed = TradeEvent.safeParse(data);
      if (!parsed.success) return { kind: 'invalid', error: parsed.error };
      return { kind: 'record', record: keyed(tradeFromEvent(parsed.data, symbol), parsed.data.E) };
    },
    follows: (last, key) => key === last + 1,
    missingBetween: (last, key) => Math.max(0, key - last - 1),
    async keyBefore(client, fromMs) {
      // Up to the exchange's now (windows after it cannot hold a trade yet).
      const first = await firstAggTrade(client, symbol, { fromMs, upTo: () => client.serverNow() });
      return first === undefined ? undefined : first.f - 1;
    },
    async fetchAfter(client: BinanceRestClient, afterKey: number, bounds: FetchBounds): Promise<RestPage> {
      const limit = pageLimit(afterKey, bounds);
      const rows = await client.historicalTrades(symbol, afterKey + 1, limit);
      return restPage(rows.map((r) => keyed(tradeFromRow(r, symbol))), afterKey, limit, bounds);
    },
  };
}
