import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparePriceKeys, isZeroQuantity, priceKey } from '../../src/actors/live/book-price.ts';
import { OrderBook } from '../../src/actors/live/order-book.ts';
import type { BookDiff, BookLevels } from '../../src/actors/live/order-book.ts';
import type { PriceLevel } from '../../src/protocol/index.ts';

function diff(U: number, u: number, bids: PriceLevel[] = [], asks: PriceLevel[] = []): BookDiff {
  return { first_update_id: U, final_update_id: u, bids, asks };
}

function snapshot(lastUpdateId: number, bids: PriceLevel[] = [], asks: PriceLevel[] = []) {
  return { lastUpdateId, bids, asks };
}

const BASE = snapshot(100, [['10.0', '1'], ['9.5', '2']], [['10.5', '3'], ['11.0', '4']]);

/** A book synced at 100 on BASE. */
function synced(): OrderBook {
  const book = new OrderBook();
  book.applyEvent(diff(98, 100));
  assert.equal(book.applySnapshot(BASE), 'synced');
  return book;
}

describe('book prices', () => {
  it('canonicalises decimals without touching a float', () => {
    assert.equal(priceKey('67012.34000000'), '67012.34');
    assert.equal(priceKey('0067012.340'), '67012.34');
    assert.equal(priceKey('100.00000000'), '100');
    assert.equal(priceKey('0.00001000'), '0.00001');
    assert.equal(priceKey('000'), '0');
    assert.equal(priceKey('12345678901234567890.123456789012345678'), '12345678901234567890.123456789012345678');
    assert.throws(() => priceKey('1e5'), { code: 'SF_ERR_VALIDATION' });
    assert.throws(() => priceKey('-1'), { code: 'SF_ERR_VALIDATION' });
  });

  it('orders canonical prices numerically', () => {
    const sorted = ['0', '0.00000001', '0.0000001', '0.5', '0.51', '1', '9.99', '10', '10.01', '99', '100', '12345678901234567.1', '12345678901234567.2'];
    for (let i = 0; i < sorted.length; i++) {
      for (let j = 0; j < sorted.length; j++) {
        const c = comparePriceKeys(priceKey(sorted[i] ?? ''), priceKey(sorted[j] ?? ''));
        assert.equal(Math.sign(c), Math.sign(i - j), `${sorted[i]} vs ${sorted[j]}`);
      }
    }
  });

  it('knows every spelling of a zero quantity', () => {
    for (const z of ['0', '0.0', '0.00000000', '000.000']) assert.ok(isZeroQuantity(z), z);
    for (const q of ['0.00000001', '1', '10.0', '100']) assert.ok(!isZeroQuantity(q), q);
  });
});

describe('OrderBook syncing', () => {
  it('buffers events until a snapshot, and asks for events before judging a snapshot', () => {
    const book = new OrderBook();
    assert.equal(book.applySnapshot(BASE), 'need_events');
    assert.equal(book.synced, false);
    assert.equal(book.applyEvent(diff(95, 99)), 'buffered');
    assert.equal(book.applyEvent(diff(100, 101)), 'buffered');
    assert.equal(book.buffered, 2);
    assert.equal(book.firstBufferedUpdateId, 95);
    assert.equal(book.lastUpdateId, undefined);
    assert.equal(book.top(5), undefined);
  });

  it('asks for a newer snapshot when the snapshot is older than the first buffered U', () => {
    const book = new OrderBook();
    book.applyEvent(diff(101, 103, [['10.0', '7']]));
    book.applyEvent(diff(104, 104));
    assert.equal(book.applySnapshot(snapshot(99)), 'need_newer_snapshot');
    assert.equal(book.applySnapshot(snapshot(100)), 'need_newer_snapshot', 'lastUpdateId < U even when it is U - 1');
    assert.equal(book.synced, false);
    assert.equal(book.buffered, 2, 'the buffer is kept for the next snapshot');
    assert.equal(book.applySnapshot(snapshot(102, [['10.0', '1']])), 'synced');
    assert.equal(book.lastUpdateId, 104);
    assert.deepEqual(book.full()?.bids, [['10.0', '7']], 'the event spanning lastUpdateId + 1 was applied');
  });

  it('drops buffered events the snapshot covers and applies the rest in order', () => {
    const book = new OrderBook();
    book.applyEvent(diff(90, 95, [['10.0', '100']]));
    book.applyEvent(diff(96, 100, [['10.0', '200']]));
    book.applyEvent(diff(101, 101, [['9.5', '0']]));
    book.applyEvent(diff(102, 105, [['9.0', '5']], [['10.5', '0.00000000']]));
    assert.equal(book.applySnapshot(BASE), 'synced');
    assert.equal(book.lastUpdateId, 105);
    assert.equal(book.buffered, 0);
    assert.deepEqual(book.full(), {
      lastUpdateId: 105,
      bids: [['10.0', '1'], ['9.0', '5']],
      asks: [['11.0', '4']],
    });
  });

  it('syncs on a snapshot newer than every buffered event, then takes the next event that spans it', () => {
    const book = new OrderBook();
    book.applyEvent(diff(90, 95));
    assert.equal(book.applySnapshot(BASE), 'synced');
    assert.equal(book.lastUpdateId, 100);
    assert.equal(book.applyEvent(diff(97, 100)), 'stale');
    assert.equal(book.applyEvent(diff(99, 102, [['9.5', '0']])), 'applied', 'U <= lastUpdateId + 1 <= u');
    assert.equal(book.lastUpdateId, 102);
    assert.deepEqual(book.full()?.bids, [['10.0', '1']]);
  });

  it('rejects a snapshot that falls into a hole among the buffered events', () => {
    const book = new OrderBook();
    book.applyEvent(diff(99, 100));
    book.applyEvent(diff(101, 102));
    book.applyEvent(diff(106, 107)); // 103..105 never arrived
    assert.equal(book.applySnapshot(snapshot(101)), 'need_newer_snapshot');
    assert.equal(book.synced, false);
    assert.equal(book.firstBufferedUpdateId, 106, 'only the events after the hole are kept');
    assert.equal(book.applySnapshot(snapshot(105)), 'need_newer_snapshot', 'lastUpdateId < U of the first event kept');
    assert.equal(book.applySnapshot(snapshot(106, [['1', '1']])), 'synced');
    assert.equal(book.lastUpdateId, 107);
  });

  it('orders buffered events that overlapping connections delivered out of order, dropping duplicates', () => {
    const book = new OrderBook();
    assert.equal(book.applyEvent(diff(104, 105, [['10.0', '5']])), 'buffered');
    assert.equal(book.applyEvent(diff(101, 101, [['10.0', '2']])), 'buffered');
    assert.equal(book.applyEvent(diff(102, 103, [['10.0', '3']])), 'buffered');
    assert.equal(book.applyEvent(diff(102, 103, [['10.0', '3']])), 'stale');
    assert.equal(book.buffered, 3);
    assert.equal(book.firstBufferedUpdateId, 101);
    assert.equal(book.applySnapshot(snapshot(101, [['10.0', '1']])), 'synced');
    assert.equal(book.lastUpdateId, 105);
    assert.deepEqual(book.full()?.bids[0], ['10.0', '5']);
  });

  it('keeps at most maxBuffered events, dropping the oldest', () => {
    const book = new OrderBook({ maxBuffered: 3 });
    for (let id = 1; id <= 5; id++) book.applyEvent(diff(id, id));
    assert.equal(book.buffered, 3);
    assert.equal(book.firstBufferedUpdateId, 3);
    assert.equal(book.applySnapshot(snapshot(1)), 'need_newer_snapshot');
    assert.equal(book.applySnapshot(snapshot(3)), 'synced');
    assert.equal(book.lastUpdateId, 5);
  });

  it('ignores a snapshot once synced', () => {
    const book = synced();
    assert.equal(book.applySnapshot(snapshot(500)), 'already_synced');
    assert.equal(book.lastUpdateId, 100);
  });
});

describe('OrderBook in sync', () => {
  it('ignores events it already has (u <= local id)', () => {
    const book = synced();
    assert.equal(book.applyEvent(diff(99, 100, [['10.0', '999']])), 'stale');
    assert.equal(book.applyEvent(diff(101, 101, [['10.0', '2']])), 'applied');
    assert.equal(book.applyEvent(diff(101, 101, [['10.0', '999']])), 'stale');
    assert.deepEqual(book.full()?.bids[0], ['10.0', '2']);
  });

  it('detects a gap, discards the book and buffers the event that showed it', () => {
    const book = synced();
    assert.equal(book.applyEvent(diff(101, 102)), 'applied');
    assert.equal(book.applyEvent(diff(104, 106, [['9.0', '1']])), 'gap');
    assert.deepEqual(book.lastGap, { expected: 103, got: 104 });
    assert.equal(book.synced, false);
    assert.equal(book.full(), undefined);
    assert.equal(book.buffered, 1);
    assert.equal(book.firstBufferedUpdateId, 104);
    assert.equal(book.applyEvent(diff(107, 107)), 'buffered');
    assert.equal(book.applySnapshot(snapshot(102)), 'need_newer_snapshot');
    assert.equal(book.applySnapshot(snapshot(105, [['8', '1']], [['12', '1']])), 'synced');
    assert.deepEqual(book.full(), { lastUpdateId: 107, bids: [['9.0', '1'], ['8', '1']], asks: [['12', '1']] });
  });

  it('rejects an event with U > u', () => {
    assert.throws(() => synced().applyEvent(diff(102, 101)), { code: 'SF_ERR_VALIDATION' });
  });

  it('resets to an empty, unsynced book', () => {
    const book = synced();
    book.reset();
    assert.equal(book.synced, false);
    assert.equal(book.buffered, 0);
    assert.deepEqual(book.depth(), { bids: 0, asks: 0 });
  });
});

describe('OrderBook levels', () => {
  it('removes a level on a zero quantity in any spelling, and ignores removing an absent level', () => {
    const book = synced();
    book.applyEvent(diff(101, 101, [['10.0', '0']], [['10.5', '0.00000000'], ['50', '0']]));
    assert.deepEqual(book.full(), { lastUpdateId: 101, bids: [['9.5', '2']], asks: [['11.0', '4']] });
  });

  it('keeps bids descending and asks ascending, with top(n) the best n', () => {
    const book = synced();
    book.applyEvent(
      diff(101, 101, [['9.75', '1'], ['1', '1'], ['100', '0'], ['9.9', '1']], [['10.75', '1'], ['1000', '1'], ['10.25', '1']]),
    );
    assert.deepEqual(book.full()?.bids.map((l) => l[0]), ['10.0', '9.9', '9.75', '9.5', '1']);
    assert.deepEqual(book.full()?.asks.map((l) => l[0]), ['10.25', '10.5', '10.75', '11.0', '1000']);
    assert.deepEqual(book.top(2), { lastUpdateId: 101, bids: [['10.0', '1'], ['9.9', '1']], asks: [['10.25', '1'], ['10.5', '3']] });
    assert.deepEqual(book.top(0), { lastUpdateId: 101, bids: [], asks: [] });
  });

  it('matches levels by numeric price, keeps the first spelling of a price and the exact quantity text', () => {
    const book = new OrderBook();
    book.applyEvent(diff(1, 1));
    book.applySnapshot(snapshot(1, [['67012.34000000', '1.00000000']], []));
    book.applyEvent(diff(2, 2, [['67012.34', '0.12345678901234567890'], ['067012.3400', '2.50000000']]));
    assert.deepEqual(book.full()?.bids, [['67012.34000000', '2.50000000']]);
    book.applyEvent(diff(3, 3, [['67012.340', '0']]));
    assert.deepEqual(book.full()?.bids, []);
  });

  it('keeps prices a float64 cannot tell apart as separate levels', () => {
    const a = '12345678901234567.1';
    const b = '12345678901234567.2';
    assert.equal(Number(a), Number(b));
    const book = new OrderBook();
    book.applyEvent(diff(1, 1));
    book.applySnapshot(snapshot(1, [[a, '1'], [b, '2']], [['0.000000000000000000011', '1'], ['0.00000000000000000001', '1']]));
    assert.deepEqual(book.full()?.bids, [[b, '2'], [a, '1']]);
    assert.deepEqual(book.full()?.asks.map((l) => l[0]), ['0.00000000000000000001', '0.000000000000000000011']);
  });

  it('applies crossing levels as sent (no pruning) and says the book is crossed until the exchange uncrosses it', () => {
    const book = synced();
    assert.equal(book.isCrossed(), false);
    // A bid above the best ask: on the exchange the same event also removes the asks it consumed.
    book.applyEvent(diff(101, 101, [['10.6', '1']], [['10.5', '0']]));
    assert.equal(book.isCrossed(), false);
    assert.deepEqual(book.top(1), { lastUpdateId: 101, bids: [['10.6', '1']], asks: [['11.0', '4']] });
    // An event seen on its own (as after a missed one) can leave the book crossed: it is kept as sent.
    book.applyEvent(diff(102, 102, [['11.5', '1']]));
    assert.equal(book.isCrossed(), true);
    assert.deepEqual(book.top(1)?.bids, [['11.5', '1']]);
    book.applyEvent(diff(103, 103, [['11.5', '0']]));
    assert.equal(book.isCrossed(), false);
    book.applyEvent(diff(104, 104, [], [['10.6', '2']]));
    assert.equal(book.isCrossed(), true, 'equal best bid and ask is crossed too');
  });
});

/** A naive book: a Map on prices scaled to BigInt, sorted only when read. */
class ReferenceBook {
  readonly bids = new Map<bigint, PriceLevel>();
  readonly asks = new Map<bigint, PriceLevel>();

  apply(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): void {
    for (const [side, levels] of [[this.bids, bids], [this.asks, asks]] as const) {
      for (const [p, q] of levels) {
        const k = scaled(p);
        if (scaled(q) === 0n) side.delete(k);
        else side.set(k, [side.get(k)?.[0] ?? p, q]);
      }
    }
  }

  levels(lastUpdateId: number): BookLevels {
    const sort = (m: Map<bigint, PriceLevel>, desc: boolean) =>
      [...m.entries()].sort((x, y) => (x[0] === y[0] ? 0 : (x[0] < y[0]) !== desc ? -1 : 1)).map((e) => e[1]);
    return { lastUpdateId, bids: sort(this.bids, true), asks: sort(this.asks, false) };
  }

  clone(): ReferenceBook {
    const c = new ReferenceBook();
    for (const [k, v] of this.bids) c.bids.set(k, v);
    for (const [k, v] of this.asks) c.asks.set(k, v);
    return c;
  }
}

/** A decimal with at most 18 fraction digits, times 1e18. */
function scaled(d: string): bigint {
  const [int = '0', frac = ''] = d.split('.');
  return BigInt(int) * 10n ** 18n + BigInt((frac + '0'.repeat(18)).slice(0, 18));
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The exchange: a true book evolving by diff events with consecutive update ids, every state kept. */
function exchange(seed: number, events: number) {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const spell = (ticks: number) => {
    const v = (ticks / 100).toFixed(2);
    return pick([v, `${v}000000`, `0${v}`, v.replace(/\.?0+$/, '') || '0']);
  };
  const qty = () => pick(['0', '0.00000000', '0', `${Math.floor(rnd() * 1000)}.${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}`, '1', '0.1']);
  const levels = (lo: number, hi: number): PriceLevel[] =>
    Array.from({ length: Math.floor(rnd() * 6) }, () => [spell(lo + Math.floor(rnd() * (hi - lo))), qty()]);
  const truth = new ReferenceBook();
  const states = new Map<number, ReferenceBook>();
  const stream: BookDiff[] = [];
  let id = 1000;
  truth.apply(levels(9_000, 10_000), levels(10_001, 11_000));
  states.set(id, truth.clone());
  for (let i = 0; i < events; i++) {
    const U = id + 1;
    id += 1 + Math.floor(rnd() * 3);
    const e = diff(U, id, levels(9_000, 10_000), levels(10_001, 11_000));
    truth.apply(e.bids, e.asks);
    states.set(id, truth.clone());
    stream.push(e);
  }
  return { stream, states, rnd };
}

describe('OrderBook against a naive reference on random sequences', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: equals the true book whenever in sync, and reports every missed event as a gap`, () => {
      const { stream, states, rnd } = exchange(seed, 1500);
      const book = new OrderBook();
      let delivered = 0;
      let gaps = 0;
      let dropped = 0;
      let synced = 0;
      let lastDeliveredId = 0;
      for (let i = 0; i < stream.length; i++) {
        const e = stream[i];
        if (!e) continue;
        if (rnd() < 0.02) {
          dropped++;
          continue; // lost in transit
        }
        const wasSynced = book.synced;
        const expectGap = wasSynced && e.first_update_id > (book.lastUpdateId ?? 0) + 1;
        const result = book.applyEvent(e);
        delivered++;
        lastDeliveredId = e.final_update_id;
        if (expectGap) {
          assert.equal(result, 'gap');
          gaps++;
        } else {
          assert.equal(result, wasSynced ? 'applied' : 'buffered', `event ${e.first_update_id}..${e.final_update_id}`);
        }
        // Overlapping connections: now and then an old event again.
        if (rnd() < 0.05) {
          const old = stream[Math.max(0, i - 1 - Math.floor(rnd() * 5))];
          if (old) {
            const r = book.applyEvent(old);
            assert.ok(r === 'stale' || (!book.synced && r === 'buffered'), r);
          }
        }
        // Not in sync: a snapshot taken now (sometimes a stale one served from a cache).
        if (!book.synced && rnd() < 0.3) {
          const ids = [...states.keys()].filter((k) => k <= lastDeliveredId);
          const at = rnd() < 0.3 ? (ids[Math.max(0, ids.length - 1 - Math.floor(rnd() * 20))] ?? 1000) : lastDeliveredId;
          const state = states.get(at);
          assert.ok(state);
          const body = { ...state.levels(at), lastUpdateId: at };
          const r = book.applySnapshot(body);
          if (r === 'synced') synced++;
          else assert.ok(r === 'need_newer_snapshot', r);
        }
        if (book.synced) {
          const at = book.lastUpdateId ?? -1;
          assert.deepEqual(book.full(), states.get(at)?.levels(at), `book at ${at}`);
          assert.equal(book.isCrossed(), false);
        }
      }
      assert.ok(delivered > 1000 && dropped > 0 && gaps > 0 && synced > gaps / 2, `delivered ${delivered} dropped ${dropped} gaps ${gaps} synced ${synced}`);
    });
  }
});
