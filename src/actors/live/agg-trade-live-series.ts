import { AggTradeEvent, aggTradeFromRow } from '../../protocol/index.ts';
import type { AggTrade } from '../../protocol/index.ts';
import { firstAggTrade } from '../exchange/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import { pageLimit, restPage } from './id-paging.ts';
import type { FetchBounds, KeyedRecord, LiveSeries, RestPage } from './live-series.ts';

/** `ws_aggtrades` from `<symbol>@aggTrade`, keyed by the aggregate id (consecutive, so every jump is a gap). */
export function aggTradeLiveSeries(symbol: string): LiveSeries {
  const keyed = (t: AggTrade, eventTime?: number): KeyedRecord => ({ key: t.trade_id, time: t.timestamp, doneBefore: t.timestamp, record: t, ...(eventTime === undefined ? {} : { eventTime }) });
  return {
    stream: `${symbol.toLowerCase()}@aggTrade`,
    fromEvent(data) {
      const parsed = AggTradeEvent.safeParse(data);
      if (!parsed.success) return { kind: 'invalid', error: parsed.error };
      return { kind: 'record', record: keyed(aggTradeFromRow(parsed.data, symbol), parsed.data.E) };
    },
    follows: (last, key) => key === last + 1,
    missingBetween: (last, key) => Math.max(0, key - last - 1),
    async keyBefore(client, fromMs) {
      // Up to the exchange's now (windows after it cannot hold a trade yet).
      const first = await firstAggTrade(client, symbol, { fromMs, upTo: () => client.serverNow() });
      return first === undefined ? undefined : first.a - 1;
    },
    async fetchAfter(client: BinanceRestClient, afterKey: number, bounds: FetchBounds): Promise<RestPage> {
      const limit = pageLimit(afterKey, bounds);
      const rows = await client.aggTrades(symbol, { fromId: afterKey + 1, limit });
      return restPage(rows.map((r) => keyed(aggTradeFromRow(r, symbol))), afterKey, limit, bounds);
    },
  };
}
