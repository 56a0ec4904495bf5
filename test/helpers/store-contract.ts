// The behaviour every Store implementation owes its callers. Run it against each implementation
// (embedded SQLite now, ArangoDB later) from that implementation's test file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ErrorCodes, StoreError } from '../../src/protocol/index.ts';
import type { Store, StoredDocument } from '../../src/actors/ports/index.ts';
import { rejectionOf } from './rejection-of.ts';

export interface StoreUnderTest {
  readonly store: Store;
  /** Closes the store and removes whatever the factory created (a temp dir, a database). */
  readonly cleanup: () => Promise<void>;
}

/** A collection name no other test (or run) uses. */
function freshName(label: string): string {
  return `sfct_${label}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}


function assertStoreError(err: unknown): void {
  assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
  assert.equal(err.code, ErrorCodes.STORE);
}

function candle(openTime: number, close: string, key = `k${openTime}`): StoredDocument {
  return { _key: key, open_time: openTime, close };
}

/** Registers the Store contract suite; `makeStore` gives every test a store of its own. */
export function storeContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const { store, cleanup } = await makeStore();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  }

  async function withCollection(label: string, fn: (store: Store, collection: string) => Promise<void>): Promise<void> {
    await withStore(async (store) => {
      const collection = freshName(label);
      await store.ensureCollection(collection, { sortField: 'open_time' });
      await fn(store, collection);
    });
  }

  describe(`Store contract: ${name}`, { timeout: 60_000 }, () => {
    it('ensureCollection is idempotent and keeps the documents', () =>
      withCollection('ensure', async (store, collection) => {
        await store.upsert(collection, [candle(1, '1.0')]);
        await store.ensureCollection(collection, { sortField: 'open_time' });
        await store.ensureCollection(collection, { sortField: 'open_time' });
        assert.deepEqual(await store.listCollections(collection), [collection]);
        assert.equal(await store.count(collection), 1);
      }));

    it('returns an upserted document by key, and undefined for a missing key', () =>
      withCollection('get', async (store, collection) => {
        const doc = { _key: 'BTCUSDT_5m_1722470400000', open_time: 1_722_470_400_000, close: '64000.01', nested: { n: [1, 2] } };
        await store.upsert(collection, [doc]);
        assert.deepEqual(await store.get(collection, doc._key), doc);
        assert.equal(await store.get(collection, 'no-such-key'), undefined);
      }));

    it('declares a named graph over a vertex and an edge collection, idempotently; its edges read like documents', () =>
      withStore(async (store) => {
        const vertices = freshName('vertices');
        const edges = freshName('edges');
        await store.ensureCollection(vertices, { sortField: 'rank' });
        await store.ensureCollection(edges, { sortField: 'time', kind: 'edge' });
        const graph = freshName('graph');
        await store.ensureGraph(graph, { vertexCollection: vertices, edgeCollection: edges });
        await store.ensureGraph(graph, { vertexCollection: vertices, edgeCollection: edges });
        await store.upsert(vertices, [{ _key: 'BTCUSDT', rank: 0 }, { _key: 'ETHUSDT', rank: 1 }]);
        const edge = { _key: '1000_0_1', _from: `${vertices}/BTCUSDT`, _to: `${vertices}/ETHUSDT`, time: 1000, weight: 0.8 };
        await store.upsert(edges, [edge]);
        assert.deepEqual(await store.range(edges, { from: 1000, to: 1001 }), [edge]);
      }));

    it('deletes documents by key, counting what it removed, and ignores missing keys', () =>
      withCollection('delete', async (store, collection) => {
        await store.upsert(collection, [candle(1, '1.0'), candle(2, '2.0'), candle(3, '3.0')]);
        assert.equal(await store.delete(collection, ['k1', 'k3', 'no-such-key']), 2);
        assert.equal(await store.get(collection, 'k1'), undefined);
        assert.deepEqual((await store.range(collection)).map((d) => d._key), ['k2']);
        assert.equal(await store.delete(collection, []), 0);
        assert.equal(await store.delete(collection, ['k1']), 0);
      }));

    it('upsert is idempotent: the same keys twice keep the count and the last value wins', () =>
      withCollection('idem', async (store, collection) => {
        const first = [candle(1, '1.0'), candle(2, '2.0'), candle(3, '3.0')];
        await store.upsert(collection, first);
        await store.upsert(collection, [candle(1, '1.5'), candle(2, '2.5'), candle(3, '3.5')]);
        assert.equal(await store.count(collection), 3);
        assert.deepEqual(
          (await store.range(collection)).map((d) => d['close']),
          ['1.5', '2.5', '3.5'],
        );
      }));

    it('counts duplicate keys within one batch once, and the last of them wins', () =>
      withCollection('dups', async (store, collection) => {
        await store.upsert(collection, [candle(1, 'first'), candle(2, 'other'), candle(1, 'last')]);
        assert.equal(await store.count(collection), 2);
        assert.deepEqual(await store.get(collection, 'k1'), candle(1, 'last'));
      }));

    it('ranges ordered by the sort field: from inclusive, to exclusive, limit', () =>
      withCollection('range', async (store, collection) => {
        // Keys sort the other way round from the sort field, so key order cannot pass for sort order.
        const times = [50, 10, 40, 20, 30];
        await store.upsert(collection, times.map((t) => candle(t, String(t), `key-${100 - t}`)));
        const sortValues = (docs: StoredDocument[]) => docs.map((d) => d['open_time']);
        assert.deepEqual(sortValues(await store.range(collection)), [10, 20, 30, 40, 50]);
        assert.deepEqual(sortValues(await store.range(collection, { from: 20, to: 40 })), [20, 30]);
        assert.deepEqual(sortValues(await store.range(collection, { from: 21 })), [30, 40, 50]);
        assert.deepEqual(sortValues(await store.range(collection, { to: 30 })), [10, 20]);
        assert.deepEqual(sortValues(await store.range(collection, { limit: 2 })), [10, 20]);
        assert.deepEqual(sortValues(await store.range(collection, { from: 20, to: 50, limit: 2 })), [20, 30]);
        assert.deepEqual(sortValues(await store.range(collection, { from: 60 })), []);
      }));

    it('pages a range in (sort, key) order: every document once, ties on the sort value broken by key', () =>
      withCollection('pages', async (store, collection) => {
        // Several documents share a sort value, and keys sort against the sort order: page edges fall inside ties.
        const docs = [30, 10, 20, 20, 20, 40, 10, 50, 30, 20].map((t, i) => candle(t, String(i), `key-${String(9 - i).padStart(2, '0')}`));
        await store.upsert(collection, docs);
        const expected = [...docs].sort((a, b) => Number(a['open_time']) - Number(b['open_time']) || (a._key < b._key ? -1 : 1)).map((d) => d._key);
        for (const limit of [1, 2, 3, 4, 10, 11]) {
          const seen: string[] = [];
          let after;
          let reads = 0;
          do {
            const page = await store.rangePage(collection, { limit, ...(after ? { after } : {}) });
            reads++;
            assert.ok(page.documents.length <= limit);
            seen.push(...page.documents.map((d) => d._key));
            after = page.next;
            if (after) assert.deepEqual(after, { sort: page.documents.at(-1)?.['open_time'], key: page.documents.at(-1)?._key });
          } while (after && reads < 20);
          assert.deepEqual(seen, expected, `pages of ${limit}`);
        }
      }));

    it('pages within bounds, newest first when descending, and not past the end', () =>
      withCollection('pagebounds', async (store, collection) => {
        await store.upsert(collection, [10, 20, 30, 40, 50].map((t) => candle(t, String(t), `k${t}`)));
        const keys = (docs: StoredDocument[]) => docs.map((d) => d._key);
        const first = await store.rangePage(collection, { from: 20, to: 50, limit: 2 });
        assert.deepEqual(keys(first.documents), ['k20', 'k30']);
        assert.deepEqual(first.next, { sort: 30, key: 'k30' });
        const second = await store.rangePage(collection, { from: 20, to: 50, limit: 2, ...(first.next ? { after: first.next } : {}) });
        assert.deepEqual(keys(second.documents), ['k40']);
        assert.equal(second.next, undefined, 'a short page is the last');
        const down = await store.rangePage(collection, { limit: 3, descending: true });
        assert.deepEqual(keys(down.documents), ['k50', 'k40', 'k30']);
        const downNext = await store.rangePage(collection, { limit: 3, descending: true, after: { sort: 30, key: 'k30' } });
        assert.deepEqual(keys(downNext.documents), ['k20', 'k10']);
        assert.deepEqual((await store.rangePage(collection, { from: 60, limit: 5 })).documents, []);
        // A position between documents: the page starts at the next one.
        assert.deepEqual(keys((await store.rangePage(collection, { limit: 5, after: { sort: 25, key: '' } })).documents), ['k30', 'k40', 'k50']);
      }));

    it('leaves documents whose sort value is not a number out of pages', () =>
      withCollection('pagenull', async (store, collection) => {
        await store.upsert(collection, [candle(1, 'a'), { _key: 'text', open_time: 'soon' }, { _key: 'none' }, candle(2, 'b')]);
        assert.deepEqual((await store.rangePage(collection, { limit: 10 })).documents.map((d) => d._key), ['k1', 'k2']);
      }));

    it('rejects a page without a positive integer limit with a StoreError', () =>
      withCollection('pagelimit', async (store, collection) => {
        for (const limit of [0, -1, 1.5]) assertStoreError(await rejectionOf(`limit ${limit}`, () => store.rangePage(collection, { limit })));
      }));

    it('counts with and without a range', () =>
      withCollection('count', async (store, collection) => {
        assert.equal(await store.count(collection), 0);
        await store.upsert(collection, [10, 20, 30, 40].map((t) => candle(t, '1')));
        assert.equal(await store.count(collection), 4);
        assert.equal(await store.count(collection, {}), 4);
        assert.equal(await store.count(collection, { from: 20 }), 3);
        assert.equal(await store.count(collection, { to: 20 }), 1);
        assert.equal(await store.count(collection, { from: 20, to: 40 }), 2);
        assert.equal(await store.count(collection, { from: 40, to: 40 }), 0);
      }));

    it('lists collections by prefix', () =>
      withStore(async (store) => {
        const prefix = freshName('list');
        const mine = [`${prefix}_b`, `${prefix}_a`];
        const other = freshName('other');
        for (const c of [...mine, other]) await store.ensureCollection(c, { sortField: 'open_time' });
        assert.deepEqual([...(await store.listCollections(prefix))].sort(), [...mine].sort());
        const all = await store.listCollections();
        for (const c of [...mine, other]) assert.ok(all.includes(c), `listCollections() includes ${c}`);
        assert.deepEqual(await store.listCollections(freshName('none')), []);
      }));

    it('round-trips decimal strings with 20+ significant digits exactly', () =>
      withCollection('decimal', async (store, collection) => {
        const values = ['123456789012345678901234.123456789012', '0.000000000000000000012345678901234567890', '-99999999999999999999.99999999'];
        await store.upsert(collection, values.map((v, i) => ({ _key: `d${i}`, open_time: i, volume: v })));
        const back = await store.range(collection);
        assert.deepEqual(back.map((d) => d['volume']), values);
        assert.equal((await store.get(collection, 'd0'))?.['volume'], values[0]);
      }));

    it('compareAndSet replaces a document only while every expected field holds its value', () =>
      withCollection('cas', async (store, collection) => {
        const stored = { _key: 'wf1', open_time: 5, owner: 'a', beat: 100, status: 'running' };
        await store.upsert(collection, [stored]);
        const claimed = { ...stored, owner: 'b', beat: 200 };
        // Each expectation off by one field (a value, a type, a missing field) leaves the document as it was.
        for (const expected of [{ owner: 'x', beat: 100 }, { owner: 'a', beat: 101 }, { owner: 'a', beat: '100' }, { owner: null }, { missing: 'a' }]) {
          assert.equal(await store.compareAndSet(collection, claimed, expected), false, JSON.stringify(expected));
          assert.deepEqual(await store.get(collection, 'wf1'), stored);
        }
        assert.equal(await store.compareAndSet(collection, claimed, { owner: 'a', beat: 100, missing: null }), true);
        assert.deepEqual(await store.get(collection, 'wf1'), claimed);
        // The sort field moves with the document.
        assert.deepEqual((await store.range(collection, { from: 5, to: 6 })).map((d) => d._key), ['wf1']);
        assert.equal(await store.compareAndSet(collection, { ...claimed, owner: 'c' }, { owner: 'a' }), false, 'the old state is gone');
        assert.equal(await store.compareAndSet(collection, { _key: 'nobody', open_time: 1 }, {}), false, 'a missing document is never created');
        assert.equal(await store.get(collection, 'nobody'), undefined);
        assertStoreError(await rejectionOf('an invalid field name', () => store.compareAndSet(collection, claimed, { 'a.b': 1 })));
      }));

    it('compareAndSet: of many claims expecting the same state, exactly one wins, every round', () =>
      withCollection('casrace', async (store, collection) => {
        await store.upsert(collection, [{ _key: 'wf', open_time: 1, owner: 'nobody', round: 0 }]);
        for (let round = 0; round < 20; round++) {
          const expected = { owner: round === 0 ? 'nobody' : `c${round - 1}`, round };
          const claims = Array.from({ length: 5 }, (_, i) => store.compareAndSet(collection, { _key: 'wf', open_time: 1, owner: `c${round}`, round: round + 1, by: i }, expected));
          const won = (await Promise.all(claims)).map((ok, i) => (ok ? i : -1)).filter((i) => i >= 0);
          assert.equal(won.length, 1, `round ${round}: winners ${JSON.stringify(won)}`);
          assert.equal((await store.get(collection, 'wf'))?.['by'], won[0]);
        }
      }));

    it('findWhere finds the documents whose field holds one of the values, null for a missing field, in sort order', () =>
      withStore(async (store) => {
        const collection = freshName('find');
        await store.ensureCollection(collection, { sortField: 'open_time', indexedFields: ['status'] });
        await store.ensureCollection(collection, { sortField: 'open_time', indexedFields: ['status'] });
        await store.upsert(collection, [
          { _key: 'd', open_time: 4, status: 'running' },
          { _key: 'a', open_time: 1, status: 'completed' },
          { _key: 'c', open_time: 3, status: 'pending' },
          { _key: 'b', open_time: 3, status: 'running' },
          { _key: 'e', open_time: 5 },
          { _key: 'f', open_time: 6, status: 1 },
        ]);
        const keys = async (values: Array<string | number | null>) => (await store.findWhere(collection, 'status', values)).map((d) => d._key);
        assert.deepEqual(await keys(['running', 'pending']), ['b', 'c', 'd']);
        assert.deepEqual(await keys(['completed']), ['a']);
        assert.deepEqual(await keys([null]), ['e']);
        assert.deepEqual(await keys([1]), ['f']);
        assert.deepEqual(await keys(['1']), [], 'a string is not the number');
        assert.deepEqual(await keys([]), []);
        assert.deepEqual(await store.findWhere(collection, 'status', ['completed']), [{ _key: 'a', open_time: 1, status: 'completed' }]);
        // An update moves a document from one answer to the other.
        await store.upsert(collection, [{ _key: 'd', open_time: 4, status: 'completed' }]);
        assert.deepEqual(await keys(['running']), ['b']);
        assertStoreError(await rejectionOf('an invalid field name', () => store.findWhere(collection, 'no such', ['x'])));
      }));

    it('rejects an invalid collection name', () =>
      withStore(async (store) => {
        const err = await rejectionOf('ensureCollection with an invalid name', () =>
          store.ensureCollection('not a/valid name', { sortField: 'open_time' }),
        );
        assertStoreError(err);
      }));

    it('rejects an upsert into a collection never ensured with a StoreError', () =>
      withStore(async (store) => {
        const collection = freshName('missing');
        const err = await rejectionOf('upsert into a missing collection', () => store.upsert(collection, [candle(1, '1')]));
        assertStoreError(err);
      }));
  });
}
