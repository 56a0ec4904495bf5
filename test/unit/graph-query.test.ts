// The graph of stored candles reads only the tail its window needs, and answers what a read of the
// whole range would: through exchange holes, a symbol missing candles where the tail read begins,
// and symbols with no candle at all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { correlationGraph } from '../../src/actors/analytics/index.ts';
import type { Store } from '../../src/actors/index.ts';
import { ValidationError } from '../../src/protocol/index.ts';
import type { Candle } from '../../src/protocol/index.ts';
import { queryGraph } from '../../src/system/query/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { randomCandles } from '../helpers/random-candles.ts';
import { storeCandles } from '../helpers/stored-candles.ts';
import { storeWith } from '../helpers/store-wrapper.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 0, 1);
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
const COUNT = 6000;
const AT = FROM + 5000 * HOUR;
const WINDOW = 100;

/** Candles with holes: the exchange down for 40 h shortly before `AT`, BBB missing 20 h around where the (once widened) tail read of the window starts. */
function market(): Candle[][] {
  return SYMBOLS.map((symbol, i) =>
    randomCandles(COUNT, 90 + i)
      .map((c) => ({ ...c, symbol }))
      .filter((c) => {
        const h = (c.open_time - FROM) / HOUR;
        if (h >= 4950 && h < 4990) return false;
        return !(symbol === 'BBBUSDT' && h >= 4740 && h < 4760);
      }),
  );
}

async function seeded(candles: readonly Candle[][]): Promise<{ store: Store; documents: () => number; close: () => Promise<void> }> {
  const real = new EmbeddedStore(':memory:');
  for (const list of candles) await storeCandles(real, list);
  let documents = 0;
  const store = storeWith(real, {
    rangePage: async (collection, query) => {
      const page = await real.rangePage(collection, query);
      documents += page.documents.length;
      return page;
    },
  });
  return { store, documents: () => documents, close: () => real.close() };
}

describe('queryGraph', () => {
  const candles = market();

  for (const rule of [{ kind: 'threshold', threshold: 0 } as const, { kind: 'top-k', k: 1 } as const]) {
    it(`answers as a read of the whole range does, reading about the window only (${rule.kind})`, async () => {
      const s = await seeded(candles);
      try {
        const got = await queryGraph(s.store, { symbols: SYMBOLS, interval: '1h', fromMs: FROM, toMs: FROM + COUNT * HOUR, atMs: AT, window: WINDOW, rule });
        const whole = correlationGraph({
          symbols: SYMBOLS,
          interval: '1h',
          fromMs: FROM,
          toMs: FROM + COUNT * HOUR,
          atMs: AT - 1,
          window: WINDOW,
          rule,
          candles: candles.map((list) => list.filter((c) => c.open_time < AT)),
        });
        assert.deepEqual(got, whole);
        assert.equal(got.at_ms, AT - HOUR, 'the last candle opening before at');
        assert.equal(whole.at_ms, AT - HOUR);
        assert.ok(got.edges.length > 0);
        assert.ok(s.documents() < 3 * 400, `documents read: ${s.documents()} (the range holds ${candles.flat().length})`);
      } finally {
        await s.close();
      }
    });
  }

  it('defaults at to the range end, and reads further back while holes leave the tail short', async () => {
    // Only 20 candles of each symbol in the last 300 hours: the tail read must widen to find 100 returns.
    const sparse = candles.map((list) => list.filter((c) => c.open_time < FROM + 5500 * HOUR || (c.open_time - FROM) % (15 * HOUR) === 0));
    const s = await seeded(sparse);
    try {
      const got = await queryGraph(s.store, { symbols: SYMBOLS, interval: '1h', fromMs: FROM, toMs: FROM + COUNT * HOUR, window: WINDOW });
      const whole = correlationGraph({ symbols: SYMBOLS, interval: '1h', fromMs: FROM, toMs: FROM + COUNT * HOUR, atMs: FROM + COUNT * HOUR, window: WINDOW, candles: sparse });
      assert.deepEqual(got, whole);
      assert.deepEqual(got.rule, { kind: 'threshold', threshold: 0.3 });
    } finally {
      await s.close();
    }
  });

  it('names a symbol without stored candles and the backfill that loads it; refuses a range too short for the window', async () => {
    const s = await seeded(candles);
    try {
      const to = FROM + 200 * HOUR;
      await assert.rejects(
        queryGraph(s.store, { symbols: ['AAAUSDT', 'ZZZUSDT', 'YYYUSDT'], interval: '1h', fromMs: FROM, toMs: to, window: WINDOW }),
        (e: unknown) =>
          e instanceof ValidationError &&
          e.message.startsWith('no stored 1h candles of ZZZUSDT, YYYUSDT in [2024-01-01T00:00:00.000Z, 2024-01-09T08:00:00.000Z)') &&
          e.message.includes('streamforge backfill ZZZUSDT --type api_candles_1h --from 2024-01-01T00:00:00.000Z --to 2024-01-09T08:00:00.000Z'),
      );
      await assert.rejects(
        queryGraph(s.store, { symbols: SYMBOLS, interval: '1h', fromMs: FROM, toMs: FROM + 50 * HOUR, window: WINDOW }),
        /holds at most 50 1h candles: a window of 100 log returns needs 101; accepted: a window from 3 to 49 here, or an earlier from/,
      );
      await assert.rejects(queryGraph(s.store, { symbols: SYMBOLS, interval: '1h', fromMs: FROM, toMs: to, atMs: to + 1, window: WINDOW }), /at .* is outside the range; accepted: after from/);
      // Enough slots, too few candles: the exchange's 40-hour hole leaves 60 returns before at.
      await assert.rejects(
        queryGraph(s.store, { symbols: SYMBOLS, interval: '1h', fromMs: FROM + 4890 * HOUR, toMs: FROM + 4995 * HOUR, window: WINDOW }),
        /a window of 100 log returns needs 101 candles of every symbol .* holds 6\d returns there/,
      );
      // A range from before 1970 reads back to the first candle and stops there.
      await assert.rejects(
        queryGraph(s.store, { symbols: SYMBOLS, interval: '1h', fromMs: Date.UTC(1960, 0, 1), toMs: FROM + 50 * HOUR, window: WINDOW }),
        /a window of 100 log returns needs 101 candles of every symbol .* holds 49 returns there/,
      );
    } finally {
      await s.close();
    }
  });
});
