import { candleFromKline, candleFromKlineEvent, INTERVAL_MS, KlineEvent } from '../../protocol/index.ts';
import type { Candle, Interval } from '../../protocol/index.ts';
import { settledBefore } from '../exchange/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { FetchBounds, KeyedRecord, LiveSeries, RestPage } from './live-series.ts';

const PAGE_LIMIT = 1000;
/**
 * The exchange's clock is an estimate (its offset is measured once, at init): a candle that closed
 * less than this long before the estimate may still be open there, with partial values.
 */

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
      if (!parsed.success) return { kind: 'invalid', error: parsed.error };
      // A kline still open, or of another interval, is no record: nothing is wrong with it.
      if (!parsed.data.k.x || parsed.data.k.i !== interval) return { kind: 'skip' };
      return { kind: 'record', record: keyed(candleFromKlineEvent(parsed.data, symbol, interval), parsed.data.E) };
    },
    follows: (last, key) => key - last <= maxStep,
    missingBetween: (last, key) => Math.max(0, interval === '1M' ? monthIndex(key) - monthIndex(last) - 1 : Math.ceil((key - last) / maxStep) - 1),
    keyBefore: (_client, fromMs) => Promise.resolve(fromMs - 1),
    async fetchAfter(client: BinanceRestClient, afterKey: number, bounds: FetchBounds): Promise<RestPage> {
      // The server clock estimate is fractional; the exchange takes whole milliseconds.
      const now = Math.floor(client.serverNow());
      const end = Math.min(bounds.untilKey ?? Number.MAX_SAFE_INTEGER, bounds.toMs ?? Number.MAX_SAFE_INTEGER, now) - 1;
      if (end <= afterKey) return { records: [], more: false, coveredTo: afterKey, reachedEnd: bounds.toMs !== undefined && afterKey >= bounds.toMs - 1 };
      const rows = await client.klines(symbol, interval, afterKey + 1, end, PAGE_LIMIT);
      const settled = settledBefore(rows, now, bounds.untilKey);
      // A candle maybe still open has partial values: it is not data yet, and nothing at or after it is covered.
      const last = rows.at(-1);
      const open = last !== undefined && last[6] >= settled ? last : undefined;
      const closed = rows.filter((r) => r !== open && r[0] > afterKey);
      const more = rows.length === PAGE_LIMIT && open === undefined;
      // Nor is a time the exchange may not have reached yet: a candle may open there after this page.
      const coveredTo = open === undefined ? Math.min(end, settled - 1) : open[0] - 1;
      return {
        records: closed.map((r) => keyed(candleFromKline(r, symbol, interval))),
        more,
        coveredTo,
        reachedEnd: !more && bounds.toMs !== undefined && coveredTo >= bounds.toMs - 1,
      };
    },
  };
}

function monthIndex(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}
