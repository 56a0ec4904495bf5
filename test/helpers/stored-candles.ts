import type { Store } from '../../src/actors/index.ts';
import { candleKey } from '../../src/protocol/index.ts';
import type { Candle } from '../../src/protocol/index.ts';

/**
 * Writes candles into a series collection as the connector does (`<symbol>_api_candles_<interval>_<date>`,
 * sorted by open time, keyed by `candleKey`), for tests of the read side that need a store with holes
 * a backfill from the simulator would not make.
 */
export async function storeCandles(store: Store, candles: readonly Candle[], date = '2024_01_01'): Promise<void> {
  const first = candles[0];
  if (first === undefined) return;
  const collection = `${first.symbol.toLowerCase()}_api_candles_${first.interval}_${date}`;
  await store.ensureCollection(collection, { sortField: 'open_time' });
  await store.upsert(collection, candles.map((c) => ({ _key: candleKey(c), ...c })));
}
