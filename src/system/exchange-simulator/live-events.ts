import type { AggTradeRow } from './agg-trade-generator.ts';
import { formatAmount8 } from './decimal-format.ts';
import type { KlineInterval } from './intervals.ts';
import type { KlineValues } from './kline-generator.ts';
import type { Level } from './order-book.ts';

/*
 * Binance's WebSocket event payloads, written as JSON text directly (field order as Binance's):
 * they are built once per event and sent to every subscriber.
 */

export function aggTradeEvent(symbol: string, eventMs: number, t: AggTradeRow): string {
  return `{"e":"aggTrade","E":${eventMs},"s":"${symbol}","a":${t.a},"p":"${t.p}","q":"${t.q}","f":${t.f},"l":${t.l},"T":${t.T},"m":${t.m},"M":${t.M}}`;
}

export function tradeEvent(symbol: string, eventMs: number, id: number, qty: string, agg: AggTradeRow): string {
  return `{"e":"trade","E":${eventMs},"s":"${symbol}","t":${id},"p":"${agg.p}","q":"${qty}","T":${agg.T},"m":${agg.m},"M":${agg.M}}`;
}

/** A kline event; `firstTradeId`/`lastTradeId` are -1 when the kline has no trade. */
export function klineEvent(
  symbol: string,
  interval: KlineInterval,
  eventMs: number,
  v: KlineValues,
  firstTradeId: number,
  lastTradeId: number,
  closed: boolean,
): string {
  return (
    `{"e":"kline","E":${eventMs},"s":"${symbol}","k":{"t":${v.openMs},"T":${v.closeMs},"s":"${symbol}","i":"${interval}",` +
    `"f":${firstTradeId},"L":${lastTradeId},"o":"${formatAmount8(v.open)}","c":"${formatAmount8(v.close)}",` +
    `"h":"${formatAmount8(v.high)}","l":"${formatAmount8(v.low)}","v":"${formatAmount8(v.volume)}","n":${v.trades},` +
    `"x":${closed},"q":"${formatAmount8(v.quoteVolume)}","V":"${formatAmount8(v.takerBaseVolume)}",` +
    `"Q":"${formatAmount8(v.takerQuoteVolume)}","B":"0"}}`
  );
}

export function depthEvent(symbol: string, eventMs: number, firstId: number, lastId: number, bids: Level[], asks: Level[]): string {
  return `{"e":"depthUpdate","E":${eventMs},"s":"${symbol}","U":${firstId},"u":${lastId},"b":${JSON.stringify(bids)},"a":${JSON.stringify(asks)}}`;
}

export function serverShutdownEvent(eventMs: number): string {
  return `{"e":"serverShutdown","E":${eventMs}}`;
}

/** A combined-stream frame: `{"stream": name, "data": payload}`. */
export function combinedFrame(stream: string, payload: string): string {
  return `{"stream":"${stream}","data":${payload}}`;
}
