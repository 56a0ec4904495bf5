import { SyntheticMarket } from '../synthetic-market/index.ts';
import type { SyntheticMarketSpec } from '../synthetic-market/index.ts';
import { nextOpen } from './intervals.ts';
import type { KlineInterval } from './intervals.ts';
import { klineSeries } from './kline-generator.ts';
import type { KlineRow } from './kline-generator.ts';
import { installSyntheticMarket } from './market-price-path.ts';

/**
 * The closed klines a simulator started with `{ seed, market: spec }` serves for the market's
 * symbols, without a server: `[symbol][k]` is the k-th kline from the one opening at `fromMs` (no
 * maintenance holes). For tests and benches that need the market's candles in memory.
 */
export function syntheticMarketKlines(
  spec: SyntheticMarketSpec,
  interval: KlineInterval,
  fromMs: number,
  count: number,
  seed: number = spec.seed,
): KlineRow[][] {
  installSyntheticMarket(seed, new SyntheticMarket(spec));
  const opens: number[] = [];
  for (let open = fromMs; opens.length < count; open = nextOpen(interval, open)) opens.push(open);
  return spec.symbols.map((symbol) => {
    const series = klineSeries(seed, symbol, interval);
    return opens.map((open) => series.at(open, Number.MAX_SAFE_INTEGER));
  });
}
