import type { AggTrade, Candle, DepthUpdate, SeriesRecord, Trade } from '../../protocol/index.ts';

/** One stored record as Binance's WebSocket sends it: the stream's name and the event's JSON text. */
export interface BinanceFrame {
  /** Lower-case as Binance names streams: `btcusdt@aggTrade`, `btcusdt@kline_1m`, `btcusdt@depth@100ms`. */
  readonly stream: string;
  readonly payload: string;
}

const str = JSON.stringify;

// Field order as Binance's own events (see src/system/exchange-simulator/live-events.ts).

function aggTradeFrame(t: AggTrade): BinanceFrame {
  return {
    stream: `${t.symbol.toLowerCase()}@aggTrade`,
    payload: `{"e":"aggTrade","E":${t.timestamp},"s":${str(t.symbol)},"a":${t.trade_id},"p":${str(t.price)},"q":${str(t.quantity)},"f":${t.first_trade_id},"l":${t.last_trade_id},"T":${t.timestamp},"m":${t.is_buyer_maker},"M":${t.is_best_match}}`,
  };
}

function tradeFrame(t: Trade): BinanceFrame {
  return {
    stream: `${t.symbol.toLowerCase()}@trade`,
    payload: `{"e":"trade","E":${t.timestamp},"s":${str(t.symbol)},"t":${t.trade_id},"p":${str(t.price)},"q":${str(t.quantity)},"T":${t.timestamp},"m":${t.is_buyer_maker},"M":${t.is_best_match}}`,
  };
}

/** A closed kline (`x: true`) at its close time; the first and last trade ids are not stored: -1, as Binance's for a kline without trades. */
function klineFrame(c: Candle): BinanceFrame {
  const s = str(c.symbol);
  return {
    stream: `${c.symbol.toLowerCase()}@kline_${c.interval}`,
    payload:
      `{"e":"kline","E":${c.close_time},"s":${s},"k":{"t":${c.open_time},"T":${c.close_time},"s":${s},"i":${str(c.interval)},"f":-1,"L":-1,` +
      `"o":${str(c.open)},"c":${str(c.close)},"h":${str(c.high)},"l":${str(c.low)},"v":${str(c.volume)},"n":${c.number_of_trades},"x":true,` +
      `"q":${str(c.quote_asset_volume)},"V":${str(c.taker_buy_base_asset_volume)},"Q":${str(c.taker_buy_quote_asset_volume)},"B":"0"}}`,
  };
}

function depthFrame(d: DepthUpdate): BinanceFrame {
  return {
    stream: `${d.symbol.toLowerCase()}@depth@100ms`,
    payload: `{"e":"depthUpdate","E":${d.event_time},"s":${str(d.symbol)},"U":${d.first_update_id},"u":${d.final_update_id},"b":${str(d.bids)},"a":${str(d.asks)}}`,
  };
}

/**
 * The Binance event of a stored record, or undefined for a record Binance has no stream event for
 * (a book snapshot: Binance serves those over REST).
 */
export function binanceFrame(record: SeriesRecord): BinanceFrame | undefined {
  if ('record' in record) return record.record === 'depth_update' ? depthFrame(record) : undefined;
  if ('open_time' in record) return klineFrame(record);
  if ('first_trade_id' in record) return aggTradeFrame(record);
  return tradeFrame(record);
}

/** A combined-stream frame: `{"stream": name, "data": event}`. */
export function combinedFrame(frame: BinanceFrame): string {
  return `{"stream":"${frame.stream}","data":${frame.payload}}`;
}
