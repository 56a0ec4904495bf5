import { hashString, mix32 } from './hash.ts';

/** How a symbol's generated market looks. */
export interface SymbolProfile {
  readonly symbol: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  /** Centre of the price path, in quote currency. */
  readonly basePrice: number;
  /** Decimals of the price tick (2 → tick 0.01); prices are still printed with 8 decimals. */
  readonly priceDecimals: number;
  /** Mean base-asset volume per minute, in 1e-8 units. Meme coins exceed float64 precision. */
  readonly volumeUnitsPerMinute: bigint;
  readonly tradesPerMinute: number;
}

const QUOTE_ASSETS = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'BTC', 'ETH', 'BNB', 'EUR', 'TRY'] as const;

const KNOWN: Readonly<Record<string, Omit<SymbolProfile, 'symbol' | 'baseAsset' | 'quoteAsset'>>> = {
  BTCUSDT: { basePrice: 67_000, priceDecimals: 2, volumeUnitsPerMinute: 2_000_000_000n, tradesPerMinute: 1_500 },
  ETHUSDT: { basePrice: 3_500, priceDecimals: 2, volumeUnitsPerMinute: 30_000_000_000n, tradesPerMinute: 900 },
  // 1e14 PEPE a minute: even a 1s kline's volume has 20 significant digits.
  PEPEUSDT: { basePrice: 0.0000123, priceDecimals: 8, volumeUnitsPerMinute: 10n ** 22n, tradesPerMinute: 400 },
};

const profiles = new Map<string, SymbolProfile>();

/** The profile of a symbol: fixed for the well-known ones, derived from the name's hash otherwise. */
export function symbolProfile(symbol: string): SymbolProfile {
  let profile = profiles.get(symbol);
  if (profile === undefined) {
    profile = { symbol, ...splitAssets(symbol), ...(KNOWN[symbol] ?? derivedMarket(symbol)) };
    profiles.set(symbol, profile);
  }
  return profile;
}

function splitAssets(symbol: string): { baseAsset: string; quoteAsset: string } {
  const quote = QUOTE_ASSETS.find((q) => symbol.endsWith(q) && symbol.length > q.length);
  if (quote === undefined) return { baseAsset: symbol, quoteAsset: 'USDT' };
  return { baseAsset: symbol.slice(0, -quote.length), quoteAsset: quote };
}

function derivedMarket(symbol: string): Omit<SymbolProfile, 'symbol' | 'baseAsset' | 'quoteAsset'> {
  const h = mix32(hashString(symbol));
  const magnitude = (h % 9) - 4; // price in [1e-4, 1e5)
  const basePrice = 10 ** magnitude * (1 + ((h >>> 8) % 900) / 100);
  const priceDecimals = Math.min(8, Math.max(2, 4 - magnitude));
  // Sub-cent coins trade in huge quantities: their volumes need bigint-exact digits.
  const volumeUnitsPerMinute = magnitude <= -3 ? 10n ** 22n : 10n ** BigInt(Math.max(9, 11 - magnitude));
  return { basePrice, priceDecimals, volumeUnitsPerMinute, tradesPerMinute: 100 + ((h >>> 16) % 900) };
}
