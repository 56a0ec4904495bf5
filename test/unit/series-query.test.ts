// A series read as a stream: several collections merged k-way by (time, id, key), each record once,
// the limit after the merge, a cursor that resumes exactly, and store reads that stop with the reader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AggTrade } from '../../src/protocol/index.ts';
import { readSeries, querySeries } from '../../src/system/query/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { countingPageReads } from '../helpers/store-wrapper.ts';

const T0 = Date.parse('2024-08-01T00:00:00Z');

function trade(id: number, timestamp: number, symbol = 'BTCUSDT'): AggTrade & { _key: string } {
  return { _key: `${symbol}_${id}`, symbol, trade_id: id, price: '1.0', quantity: '2.0', first_trade_id: id, last_trade_id: id, timestamp, is_buyer_maker: false, is_best_match: true };
}

/** Three collections of the aggregate-trade series, overlapping, with bursts in one millisecond whose keys sort unlike their ids. */
async function seeded(): Promise<{ store: EmbeddedStore; expected: number[] }> {
  const store = new EmbeddedStore(':memory:');
  const ids = new Map<number, number>();
  const put = async (collection: string, trades: Array<AggTrade & { _key: string }>) => {
    await store.ensureCollection(collection, { sortField: 'timestamp' });
    await store.upsert(collection, trades);
    for (const t of trades) if (t.symbol === 'BTCUSDT') ids.set(t.trade_id, t.timestamp);
  };
  const burst = (from: number, to: number, at: number) => Array.from({ length: to - from }, (_, i) => trade(from + i, at));
  // Ids 8..12 share a millisecond: key order is _10, _11, _12, _8, _9.
  await put('btcusdt_api_trades_2024_08_01', [...burst(1, 8, T0), ...burst(8, 13, T0 + 5), ...burst(13, 40, T0 + 9)]);
  await put('btcusdt_ws_aggtrades_2024_08_01', [...burst(30, 60, T0 + 9), ...burst(60, 95, T0 + 20)]);
  await put('btcusdt_archive_trades_2024_07_31', [...burst(90, 120, T0 + 20), trade(500, T0 + 30, 'BTCUSDTX')]);
  // Another type's collection with a prefix of ours must not be read.
  await put('btcusdt_api_trades_x_2024_08_01', [trade(900, T0 + 1)]);
  const expected = [...ids.entries()].filter(([id]) => id < 900).sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([id]) => id);
  return { store, expected };
}

describe('series read as a stream', () => {
  it('merges the collections of a series by time then id, each record once', async () => {
    const { store, expected } = await seeded();
    try {
      const { records } = await querySeries(store, { symbol: 'BTCUSDT', type: 'ws_aggtrades', fromMs: T0, toMs: T0 + 60_000, pageSize: 4 });
      assert.deepEqual(records.map((r) => (r as AggTrade).trade_id), expected);
    } finally {
      await store.close();
    }
  });

  it('applies the limit after the merge and resumes after a cursor exactly, inside a burst of one millisecond', async () => {
    const { store, expected } = await seeded();
    try {
      const got: number[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const s = await readSeries(store, { symbol: 'BTCUSDT', type: 'api_trades', fromMs: T0, toMs: T0 + 60_000, limit: 3, pageSize: 2, ...(after ? { after } : {}) });
        const page: AggTrade[] = [];
        for await (const r of s.records) page.push(r as AggTrade);
        assert.ok(page.length <= 3);
        if (page.length === 0) break;
        got.push(...page.map((t) => t.trade_id));
        after = s.cursorAfter(page.at(-1) as AggTrade);
      }
      assert.deepEqual(got, expected);
    } finally {
      await store.close();
    }
  });

  it('reads the store a page at a time as records are taken, and no more once the reader stops or is aborted', async () => {
    const real = new EmbeddedStore(':memory:');
    try {
      for (const [c, offset] of [['btcusdt_api_trades_2024_08_01', 0], ['btcusdt_ws_aggtrades_2024_08_01', 1], ['btcusdt_archive_trades_2024_08_01', 2]] as const) {
        await real.ensureCollection(c, { sortField: 'timestamp' });
        await real.upsert(c, Array.from({ length: 100 }, (_, i) => trade(3 * i + offset, T0 + 3 * i + offset)));
      }
      const counted = countingPageReads(real);
      const s = await readSeries(counted.store, { symbol: 'BTCUSDT', type: 'api_trades', fromMs: T0, toMs: T0 + 60_000, pageSize: 5 });
      const first = await s.records.next();
      assert.equal(first.done, false);
      assert.equal(counted.reads(), 3, 'one page of each of the three collections, to know their heads');
      for (let i = 0; i < 4; i++) await s.records.next();
      const readsWhenStopped = counted.reads();
      await s.records.return(undefined);
      assert.equal(counted.reads(), readsWhenStopped);
      assert.ok(readsWhenStopped <= 5, `few reads for 5 records: ${readsWhenStopped}`);

      const gone = new AbortController();
      const aborted = countingPageReads(real);
      const t = await readSeries(aborted.store, { symbol: 'BTCUSDT', type: 'api_trades', fromMs: T0, toMs: T0 + 60_000, pageSize: 5, signal: gone.signal });
      await t.records.next();
      gone.abort();
      let rest = 0;
      for await (const r of t.records) if (r) rest++;
      assert.ok(rest < 15, `only what was already read comes out after the abort: ${rest}`);
      assert.ok(rest > 0, 'what was read is still given');
      assert.equal(aborted.reads(), 3);
    } finally {
      await real.close();
    }
  });

  it('refuses a cursor it did not write', async () => {
    const { store } = await seeded();
    try {
      for (const after of ['!!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,"x"]').toString('base64url')]) {
        await assert.rejects(readSeries(store, { symbol: 'BTCUSDT', type: 'api_trades', fromMs: T0, toMs: T0 + 1, after }), /after is not a cursor/);
      }
    } finally {
      await store.close();
    }
  });
});
