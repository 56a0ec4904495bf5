import assert from 'node:assert/strict';
import { queryCandles, querySeries } from '../../src/system/query/index.ts';
import type { Store } from '../../src/actors/index.ts';
import { aggTradeFromRow } from '../../src/protocol/index.ts';
import type { AggTrade, Interval } from '../../src/protocol/index.ts';
import { expectedAggTrades, expectedKlines } from '../../src/system/exchange-simulator/index.ts';
import type { ExpectedDataOptions } from '../../src/system/exchange-simulator/index.ts';

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

/** Asserts the store holds exactly the simulator's aggregate trades for the range (every id, every digit), from any source. */
export async function assertExactAggTrades(
  store: Store,
  symbol: string,
  fromMs: number,
  toMs: number,
  opts: ExpectedDataOptions = {},
): Promise<number> {
  const expected = expectedAggTrades(symbol, fromMs, toMs, { ...opts, nowMs: opts.nowMs ?? Date.now() }).map((r) => aggTradeFromRow(r, symbol));
  const { records } = await querySeries(store, { symbol, type: 'api_trades', fromMs, toMs });
  const stored = records as AggTrade[];
  const missing = expected.length - stored.length;
  if (missing !== 0) {
    const have = new Set(stored.map((t) => t.trade_id));
    const firstMissing = expected.find((t) => !have.has(t.trade_id));
    assert.fail(`${symbol}: stored ${stored.length} aggregate trades, expected ${expected.length}; first missing id ${firstMissing?.trade_id ?? 'none'}`);
  }
  assert.deepEqual(
    [...stored].sort((a, b) => a.trade_id - b.trade_id),
    expected,
  );
  return expected.length;
}
