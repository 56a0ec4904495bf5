import type { SyntheticMarket } from '../synthetic-market/index.ts';
import { installMarketPath } from './price-path.ts';
import type { PricePath } from './price-path.ts';
import { symbolProfile } from './symbol-profile.ts';

/**
 * Makes the market's symbols follow it under data seed `seed`: price = base price of the symbol's
 * profile × e^level, rounded to its tick, so every kline, trade and book of those symbols (any
 * interval) is drawn from the same path, and a kline of the market's step has exactly the
 * market's return between its open and close (up to the tick).
 */
export function installSyntheticMarket(seed: number, market: SyntheticMarket): void {
  const identity = JSON.stringify(market.spec);
  market.spec.symbols.forEach((symbol, i) => {
    installMarketPath(seed, symbol, identity, () => marketPath(market, i, symbol));
  });
}

function marketPath(market: SyntheticMarket, index: number, symbol: string): PricePath {
  const profile = symbolProfile(symbol);
  const ticksPerWhole = 10 ** profile.priceDecimals;
  const tickUnits = 10 ** (8 - profile.priceDecimals);
  return {
    tickUnits,
    unitsAt(timeMs: number): number {
      const ticks = Math.round(profile.basePrice * Math.exp(market.levelAt(index, timeMs)) * ticksPerWhole);
      return Math.max(1, ticks) * tickUnits;
    },
  };
}
