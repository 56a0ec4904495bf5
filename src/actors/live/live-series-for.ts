import { parseStreamType, ValidationError } from '../../protocol/index.ts';
import { aggTradeLiveSeries } from './agg-trade-live-series.ts';
import { candleLiveSeries } from './candle-live-series.ts';
import type { LiveSeries } from './live-series.ts';
import { tradeLiveSeries } from './trade-live-series.ts';

/**
 * The live series of a `ws_*` stream type other than `ws_depth`: the one place the series are known
 * (each series module depends only on the `LiveSeries` shape, never on this registry).
 */
export function liveSeriesFor(type: string, symbol: string): LiveSeries {
  const parsed = parseStreamType(type);
  if (parsed?.source !== 'ws') throw new ValidationError(`${type} is not a live stream type`);
  switch (parsed.record) {
    case 'candle':
      return candleLiveSeries(symbol, parsed.interval);
    case 'agg_trade':
      return aggTradeLiveSeries(symbol);
    case 'trade':
      return tradeLiveSeries(symbol);
    case 'depth':
      throw new ValidationError(`${type} is loaded by the depth loader`);
  }
}
