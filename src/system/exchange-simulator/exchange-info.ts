import { binanceErrors } from './binance-errors.ts';
import { formatUnits8 } from './decimal-format.ts';
import type { RateLimitRule } from './rate-limiter.ts';
import { checkSymbol, isLegalSymbol, ok, rejected } from './request-params.ts';
import type { Parsed } from './request-params.ts';
import { symbolProfile } from './symbol-profile.ts';

const SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$';

/** GET /api/v3/exchangeInfo, for all listed symbols or the ones `symbol` / `symbols` select. */
export function exchangeInfo(
  params: URLSearchParams,
  listed: ReadonlyMap<string, unknown>,
  rateLimits: readonly RateLimitRule[],
  nowMs: number,
): Parsed<unknown> {
  const selected = selectSymbols(params, listed);
  if (!selected.ok) return selected;
  return ok({
    timezone: 'UTC',
    serverTime: nowMs,
    rateLimits,
    exchangeFilters: [],
    symbols: selected.value.map(symbolInfo),
  });
}

function selectSymbols(params: URLSearchParams, listed: ReadonlyMap<string, unknown>): Parsed<string[]> {
  const one = params.get('symbol');
  if (one !== null) {
    const checked = checkSymbol(one, listed);
    return checked.ok ? ok([checked.value]) : checked;
  }
  const many = params.get('symbols');
  if (many === null) return ok([...listed.keys()]);
  const names = parseSymbolList(many);
  if (names === undefined) return rejected(binanceErrors.illegalChars('symbols', SYMBOLS_RANGE));
  if (!names.every((name) => listed.has(name))) return rejected(binanceErrors.invalidSymbol());
  return ok(names);
}

function parseSymbolList(text: string): string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // malformed JSON is the client's -1100, not the simulator's failure
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const names = parsed.filter((name): name is string => typeof name === 'string' && isLegalSymbol(name));
  return names.length === parsed.length ? names : undefined;
}

function symbolInfo(symbol: string): Record<string, unknown> {
  const profile = symbolProfile(symbol);
  const tickUnits = 10 ** (8 - profile.priceDecimals);
  return {
    symbol,
    status: 'TRADING',
    baseAsset: profile.baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: profile.quoteAsset,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: formatUnits8(tickUnits), maxPrice: '1000000.00000000', tickSize: formatUnits8(tickUnits) },
      { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  };
}
