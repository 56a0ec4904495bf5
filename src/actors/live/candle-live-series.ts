import { candleFromKline, candleFromKlineEvent, INTERVAL_MS, KlineEvent } from '../../protocol/index.ts';
import type { Candle, Interval } from '../../protocol/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { FetchBounds, KeyedRecord, LiveSeries, RestPage } from './live-series.ts';

const PAGE_LIMIT = 1000;

/**
 * `ws_candles_<interval>` from `<symbol>@kline_<interval>`: only closed klines (`x`) are records, keyed
 * by open time. Consecutive candles are at most an interval apart (a month: 31 days); more is a gap,
 * which may be the exchange's own (maintenance): REST says which.
 */
export function candleLiveSeries(symbol: string, interval: Interval): LiveSeries {
  const maxStep = interval === '1M' ? 31 * 86_400_000 : INTERVAL_MS[interval];
  const keyed = (c: Candle, eventTime?: number): KeyedRecord => ({
    key: c.open_time,
    time: c.open_time,
    doneBefore: c.close_time + 1,
    record: c,
    ...(eventTime === undefined ? {} : { eventTime }),
  });
  return {
    stream: `${symbol.toLowerCase()}@kline_${interval}`,
    fromEvent(data) {
      const parsed = KlineEvent.safeParse(data);
      if (!parsed.success || !parsed.data.k.x || parsed.data.k.i !== interval) return undefined;
      return keyed(candleFromKlineEvent(parsed.data, symbol, interval), parsed.data.E);
    },
    follows: (last, key) => key - last <= maxStep,
    keyBefore: (_client, fromMs) => Promise.resolve(fromMs - 1),
    async fetchAfter(client: BinanceRestClient, afterKey: number, bounds: FetchBounds): Promise<RestPage> {
      // The server clock estimate is fractional; the exchange takes whole milliseconds.
      const now = Math.floor(client.serverNow());
      const end = Math.min(bounds.untilKey ?? Number.MAX_SAFE_INTEGER, bounds.toMs ?? Number.MAX_SAFE_INTEGER, now) - 1;
      if (end <= afterKey) return { records: [], more: false, coveredTo: afterKey, reachedEnd: bounds.toMs !== undefined && afterKey >= bounds.toMs - 1 };
      const rows = await client.klines(symbol, interval, afterKey + 1, end, PAGE_LIMIT);
      // The still-open candle has partial values: it is not data yet, and nothing at or after it is covered.
      const open = rows.find((r) => r[6] >= now);
      const closed = rows.filter((r) => r[0] > afterKey && r[6] < now);
      const more = rows.length === PAGE_LIMIT && open === undefined;
      const coveredTo = open === undefined ? end : open[0] - 1;
      return {
        records: closed.map((r) => keyed(candleFromKline(r, symbol, interval))),
        more,
        coveredTo,
        reachedEnd: !more && bounds.toMs !== undefined && coveredTo >= bounds.toMs - 1,
      };
    },
  };
}
