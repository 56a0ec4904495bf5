import type { AggTradeRow } from './agg-trade-generator.ts';
import { formatBigUnits8 } from './decimal-format.ts';
import { hashKey, hashString, mix32 } from './hash.ts';

/** One row of `GET /api/v3/historicalTrades`, exactly as Binance's body carries it. */
export interface TradeRow {
  id: number;
  price: string;
  qty: string;
  quoteQty: string;
  time: number;
  isBuyerMaker: boolean;
  isBestMatch: boolean;
}

const SPLIT_SALT = 0x7370_6c74;
const UNITS_PER_WHOLE = 100_000_000n;

/** Key of the quantity split of (seed, symbol): fixed, so REST and WebSocket split alike. */
export function tradeSplitKey(seed: number, symbol: string): number {
  return mix32(mix32(seed ^ hashString(symbol)) ^ SPLIT_SALT);
}

/** An 8-decimal string as 1e-8 units. */
export function parseUnits8(decimal: string): bigint {
  const dot = decimal.indexOf('.');
  if (dot === -1) return BigInt(decimal) * UNITS_PER_WHOLE;
  return BigInt(decimal.slice(0, dot) + decimal.slice(dot + 1).padEnd(8, '0').slice(0, 8));
}

/**
 * Calls `visit` for each single trade of an aggregate: ids `f`..`l`, the aggregate's price, time and
 * side, and its quantity split exactly (in 1e-8 units) by hashed weights, every trade at least 1 unit.
 * The one derivation behind historicalTrades, `<symbol>@trade` and `expectedTrades`.
 */
export function forEachSingleTrade(
  agg: AggTradeRow,
  key: number,
  visit: (id: number, qtyUnits: bigint, agg: AggTradeRow) => void,
): void {
  const count = agg.l - agg.f + 1;
  const total = parseUnits8(agg.q);
  if (count <= 1) {
    visit(agg.f, total, agg);
    return;
  }
  const base = total >= BigInt(count) ? 1n : 0n;
  const rest = total - base * BigInt(count);
  const weights: number[] = [];
  let weightSum = 0;
  for (let j = 0; j < count; j++) {
    const w = 1 + (hashKey(key, agg.a, j) % 1000);
    weights.push(w);
    weightSum += w;
  }
  let given = 0n;
  for (let j = 0; j < count - 1; j++) {
    const qty = base + (rest * BigInt(weights[j] ?? 1)) / BigInt(weightSum);
    given += qty;
    visit(agg.f + j, qty, agg);
  }
  visit(agg.l, total - given, agg);
}

/** The single trades of `aggs` as historicalTrades rows, in id order. */
export function tradesOfAggs(aggs: readonly AggTradeRow[], key: number): TradeRow[] {
  const rows: TradeRow[] = [];
  for (const agg of aggs) {
    const priceUnits = parseUnits8(agg.p);
    forEachSingleTrade(agg, key, (id, qtyUnits) => {
      rows.push({
        id,
        price: agg.p,
        qty: formatBigUnits8(qtyUnits),
        quoteQty: formatBigUnits8((priceUnits * qtyUnits) / UNITS_PER_WHOLE),
        time: agg.T,
        isBuyerMaker: agg.m,
        isBestMatch: agg.M,
      });
    });
  }
  return rows;
}
