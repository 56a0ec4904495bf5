import assert from 'node:assert/strict';
import { queryCandles } from '../../src/system/query/index.ts';
import type { Store } from '../../src/actors/index.ts';
import type { Interval } from '../../src/protocol/index.ts';
import { expectedKlines } from '../helpers/exchange-simulator/index.ts';
import type { ExpectedDataOptions } from '../helpers/exchange-simulator/index.ts';

/** Asserts the store holds exactly the simulator's closed klines for the range: no gap, no duplicate, every digit. */
export async function assertExactCandles(
  store: Store,
  collection: string,
  symbol: string,
  interval: Interval,
  fromMs: number,
  toMs: number,
  opts: ExpectedDataOptions = {},
): Promise<number> {
  const now = Date.now();
  const expected = expectedKlines(symbol, interval, fromMs, toMs, { ...opts, nowMs: now }).filter((k) => k[6] < now);
  const stored = await queryCandles(store, { symbol, interval, fromMs, toMs });
  const rows = stored.map((c) => [
    c.open_time, c.open, c.high, c.low, c.close, c.volume, c.close_time,
    c.quote_asset_volume, c.number_of_trades, c.taker_buy_base_asset_volume, c.taker_buy_quote_asset_volume,
  ]);
  assert.equal(rows.length, expected.length, `${symbol} ${interval}: stored ${rows.length} candles, expected ${expected.length}`);
  assert.deepEqual(rows, expected.map((k) => k.slice(0, 11)));
  assert.equal(await store.count(collection, { from: fromMs, to: toMs }), expected.length, 'one document per candle');
  return expected.length;
}
