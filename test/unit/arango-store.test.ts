// The ArangoDB store's pure parts (batching, AQL building, error classification) and what it does
// without a server. The store's behaviour against a real server is in
// test/integration/arango-store.test.ts.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { ArangoError, FetchFailedError, NetworkError, ResponseTimeoutError } from 'arangojs/errors';
import type { StoredDocument } from '../../src/actors/ports/index.ts';
import { ErrorCodes, StoreError } from '../../src/protocol/index.ts';
import { loadConfig } from '../../src/system/config/index.ts';
import {
  ArangoFailures,
  ArangoStore,
  EmbeddedStore,
  chunk,
  classifyArangoError,
  countQuery,
  createStore,
  dedupeByKey,
  findQuery,
  getQuery,
  isRevisionConflict,
  pageQuery,
  rangeQuery,
  storeErrorFrom,
  upsertBatches,
} from '../../src/system/store/index.ts';

import { startArangoCursorStandIn } from '../helpers/arango-cursor-stand-in.ts';

const doc = (key: string, value: unknown): StoredDocument => ({ _key: key, open_time: 1, value });

/** Names of the bind parameters a query's text uses (`@@collection` → `@collection`). */
function bindNamesIn(query: string): string[] {
  return [...new Set([...query.matchAll(/@(@?[A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? ''))].sort();
}

/** ArangoDB rejects both a missing and an unused bind parameter. */
function assertBindsMatch(q: { query: string; bindVars: Record<string, unknown> }): void {
  assert.deepEqual(bindNamesIn(q.query), Object.keys(q.bindVars).sort(), q.query);
}

describe('upsert batches', () => {
  it('keeps one document per key: the last given, at the first position', () => {
    const out = dedupeByKey([doc('a', 1), doc('b', 2), doc('a', 3), doc('c', 4), doc('b', 5)]);
    assert.deepEqual(
      out.map((d) => [d._key, d['value']]),
      [
        ['a', 3],
        ['b', 5],
        ['c', 4],
      ],
    );
  });

  it('returns a copy in the same order when keys are already unique', () => {
    const input = [doc('z', 1), doc('y', 2)];
    const out = dedupeByKey(input);
    assert.deepEqual(out, input);
    assert.notEqual(out, input);
  });

  it('chunks into slices of at most the batch size', () => {
    const items = Array.from({ length: 12_001 }, (_, i) => i);
    assert.deepEqual(
      chunk(items, 5000).map((c) => c.length),
      [5000, 5000, 2001],
    );
    assert.deepEqual(chunk(items, 5000).flat(), items);
    assert.deepEqual(chunk([], 5000), []);
    assert.deepEqual(chunk([1, 2], 5000), [[1, 2]]);
    assert.throws(() => chunk([1], 0), RangeError);
    assert.throws(() => chunk([1], 1.5), RangeError);
  });

  it('de-duplicates across what would be batch boundaries before chunking', () => {
    const docs = Array.from({ length: 25 }, (_, i) => doc(`k${i % 10}`, i));
    const batches = upsertBatches(docs, 4);
    assert.deepEqual(
      batches.map((b) => b.length),
      [4, 4, 2],
    );
    const sent = batches.flat();
    assert.equal(new Set(sent.map((d) => d._key)).size, sent.length);
    assert.deepEqual(
      sent.map((d) => d['value']),
      [20, 21, 22, 23, 24, 15, 16, 17, 18, 19],
    );
    assert.deepEqual(upsertBatches([], 5000), []);
  });
});

describe('AQL built for the store', () => {
  const hostile = 'x" || true RETURN 1 //';

  it('range: bounds, sort field and collection travel as bind parameters only', () => {
    const q = rangeQuery('btcusdt_api_candles_5m_2024_08_01', 'open_time', { from: 1_722_470_400_000, to: 1_722_556_800_000, limit: 7 });
    assert.equal(
      q.query,
      'FOR doc IN @@collection FILTER doc.@sortField >= @from FILTER doc.@sortField < @to FILTER IS_NUMBER(doc.@sortField) ' +
        'SORT doc.@sortField ASC LIMIT @limit RETURN UNSET(doc, "_id", "_rev")',
    );
    assert.deepEqual(q.bindVars, {
      '@collection': 'btcusdt_api_candles_5m_2024_08_01',
      sortField: 'open_time',
      from: 1_722_470_400_000,
      to: 1_722_556_800_000,
      limit: 7,
    });
    for (const value of ['btcusdt', 'open_time', '1722470400000', '1722556800000', '7']) assert.ok(!q.query.includes(value), value);
    assertBindsMatch(q);
  });

  it('range: what the caller passes never reaches the query text', () => {
    const plain = rangeQuery('c', 'open_time', { from: 1 });
    const q = rangeQuery(hostile, hostile, { from: 1 });
    assert.equal(q.query, plain.query);
    assert.equal(q.bindVars['@collection'], hostile);
    assert.equal(q.bindVars['sortField'], hostile);
    assert.equal(getQuery(hostile, hostile).query, getQuery('c', 'k').query);
    assert.equal(countQuery(hostile, hostile, { to: 5 }).query, countQuery('c', 'f', { to: 5 }).query);
  });

  it('range: only the bounds given, no numeric filter without bounds, limit 0 means none', () => {
    const all = rangeQuery('c', 'open_time');
    assert.equal(all.query, 'FOR doc IN @@collection SORT doc.@sortField ASC RETURN UNSET(doc, "_id", "_rev")');
    assertBindsMatch(all);
    assertBindsMatch(rangeQuery('c', 'open_time', { from: 0 }));
    assertBindsMatch(rangeQuery('c', 'open_time', { to: 0 }));
    const noLimit = rangeQuery('c', 'open_time', { limit: 0 });
    assert.ok(!noLimit.query.includes('LIMIT'));
    assertBindsMatch(noLimit);
    const toOnly = rangeQuery('c', 'open_time', { to: 30 });
    assert.ok(toOnly.query.includes('FILTER doc.@sortField < @to') && !toOnly.query.includes('@from'));
    assert.ok(toOnly.query.includes('IS_NUMBER'));
  });

  it('count: COLLECT WITH COUNT, with or without a range, and no unused bind parameter', () => {
    const all = countQuery('c', 'open_time');
    assert.equal(all.query, 'FOR doc IN @@collection COLLECT WITH COUNT INTO n RETURN n');
    assert.deepEqual(all.bindVars, { '@collection': 'c' });
    const some = countQuery('c', 'open_time', { from: 20, to: 40, limit: 3 });
    assert.equal(
      some.query,
      'FOR doc IN @@collection FILTER doc.@sortField >= @from FILTER doc.@sortField < @to FILTER IS_NUMBER(doc.@sortField) COLLECT WITH COUNT INTO n RETURN n',
    );
    assert.deepEqual(some.bindVars, { '@collection': 'c', sortField: 'open_time', from: 20, to: 40 });
    assertBindsMatch(some);
  });

  it('get: by _key through the primary index', () => {
    const q = getQuery('queues', 'wf-btcusdt-api_candles_5m-20240801-a1b2c3');
    assert.equal(q.query, 'FOR doc IN @@collection FILTER doc._key == @key LIMIT 1 RETURN UNSET(doc, "_id", "_rev")');
    assert.deepEqual(q.bindVars, { '@collection': 'queues', key: 'wf-btcusdt-api_candles_5m-20240801-a1b2c3' });
  });

  it('find: the field, its values and the sort field as bind parameters, in (sort, key) order', () => {
    const q = findQuery('queues', 'created_at', 'status', ['pending', 'running', null]);
    assert.equal(q.query, 'FOR doc IN @@collection FILTER doc.@field IN @values SORT doc.@sortField ASC, doc._key ASC RETURN UNSET(doc, "_id", "_rev")');
    assert.deepEqual(q.bindVars, { '@collection': 'queues', field: 'status', values: ['pending', 'running', null], sortField: 'created_at' });
    assertBindsMatch(q);
  });

  it('rejects bounds JSON cannot carry and bad limits with a non-retriable StoreError', () => {
    for (const range of [{ from: Number.NaN }, { to: Number.POSITIVE_INFINITY }, { limit: -1 }, { limit: 1.5 }]) {
      assert.throws(
        () => rangeQuery('c', 'open_time', range),
        (err: unknown) => err instanceof StoreError && !err.retriable,
        JSON.stringify(range),
      );
    }
    assert.throws(() => countQuery('c', 'open_time', { from: Number.NaN }), StoreError);
  });
});

describe('AQL of a page', () => {
  it('walks the [sortField, _key] index from a position: bounds, position and limit as bind parameters only', () => {
    const q = pageQuery('btcusdt_api_trades_2024_08_01', 'timestamp', { from: 100, to: 200, after: { sort: 150, key: 'BTCUSDT_7' }, limit: 2000 });
    assert.equal(
      q.query,
      'FOR doc IN @@collection FILTER doc.@sortField >= @from FILTER doc.@sortField < @to FILTER IS_NUMBER(doc.@sortField) ' +
        'FILTER doc.@sortField >= @afterSort FILTER doc.@sortField > @afterSort || doc._key > @afterKey ' +
        'SORT doc.@sortField ASC, doc._key ASC LIMIT @limit RETURN { sort: doc.@sortField, doc: UNSET(doc, "_id", "_rev") }',
    );
    assert.deepEqual(q.bindVars, { '@collection': 'btcusdt_api_trades_2024_08_01', sortField: 'timestamp', from: 100, to: 200, afterSort: 150, afterKey: 'BTCUSDT_7', limit: 2000 });
    assertBindsMatch(q);
    for (const value of ['btcusdt', 'timestamp', 'BTCUSDT_7', '2000']) assert.ok(!q.query.includes(value), value);
  });

  it('descending: newest first, the position reached from above; numbers only even without bounds', () => {
    const q = pageQuery('queues', 'created_at', { limit: 10, descending: true, after: { sort: 5, key: 'wf-b' } });
    assert.match(q.query, /^FOR doc IN @@collection FILTER IS_NUMBER\(doc.@sortField\) FILTER doc.@sortField <= @afterSort FILTER doc.@sortField < @afterSort \|\| doc._key < @afterKey SORT doc.@sortField DESC, doc._key DESC LIMIT @limit/);
    assertBindsMatch(q);
    assertBindsMatch(pageQuery('c', 'open_time', { limit: 1 }));
  });

  it('rejects a page without a positive integer limit, or with a position JSON cannot carry', () => {
    for (const page of [{ limit: 0 }, { limit: 2.5 }, { limit: 5, after: { sort: Number.NaN, key: 'k' } }]) {
      assert.throws(() => pageQuery('c', 'open_time', page), (err: unknown) => err instanceof StoreError && !err.retriable, JSON.stringify(page));
    }
  });
});

describe('ArangoStore pages against a cursor stand-in over HTTP', () => {
  it('reads a range a page (one query) at a time in (sort, key) order, and learns the sort field from the index', async () => {
    const documents: StoredDocument[] = [30, 10, 20, 20, 20, 40, 10, 50, 30, 20].map((t, i) => ({ _key: `key-${9 - i}`, open_time: t, close: String(i) }));
    documents.push({ _key: 'no-number', open_time: 'soon' });
    const standIn = await startArangoCursorStandIn({ btcusdt_api_candles_1m_2024_08_01: { sortField: 'open_time', documents } });
    const store = new ArangoStore({ url: standIn.url, requestTimeoutMs: 5000 });
    try {
      const seen: string[] = [];
      let after;
      do {
        const page = await store.rangePage('btcusdt_api_candles_1m_2024_08_01', { from: 10, to: 50, limit: 3, ...(after ? { after } : {}) });
        seen.push(...page.documents.map((d) => d._key));
        after = page.next;
      } while (after);
      const expected = documents
        .filter((d) => typeof d['open_time'] === 'number' && (d['open_time']) < 50)
        .sort((a, b) => (a['open_time'] as number) - (b['open_time'] as number) || (a._key < b._key ? -1 : 1))
        .map((d) => d._key);
      assert.deepEqual(seen, expected);
      assert.equal(standIn.requests.length, Math.ceil(expected.length / 3) + (expected.length % 3 === 0 ? 1 : 0), 'one cursor request per page');
      for (const r of standIn.requests) assert.equal(r.bindVars['limit'], 3);
      assert.deepEqual(standIn.requests[1]?.bindVars['afterKey'], seen[2]);
    } finally {
      await store.close();
      await standIn.close();
    }
  });
});

describe('classifyArangoError', () => {
  const request = new Request('http://127.0.0.1:8529/_api/import');
  const arango = (errorNum: number, code: number) => new ArangoError({ errorNum, code, errorMessage: `error ${errorNum}` });
  const shaped = (errorNum: number, code: number) => ({ isArangoError: true, errorNum, code, message: `error ${errorNum}` });

  const retriable: Array<[string, unknown, string]> = [
    ['write-write conflict', arango(1200, 409), ArangoFailures.CONFLICT],
    ['conflict, plain object', shaped(1200, 409), ArangoFailures.CONFLICT],
    ['maintenance mode', arango(503, 503), ArangoFailures.UNAVAILABLE],
    ['cluster timeout', arango(1457, 500), ArangoFailures.CLUSTER],
    ['backend unavailable', shaped(1478, 503), ArangoFailures.CLUSTER],
    ['other cluster error answered with 500', shaped(1450, 500), ArangoFailures.CLUSTER],
    ['shutting down', shaped(30, 503), ArangoFailures.UNAVAILABLE],
    ['lock timeout', shaped(18, 500), ArangoFailures.TIMEOUT],
    ['write throttled', shaped(1236, 500), ArangoFailures.TIMEOUT],
    ['unknown errorNum with 503', shaped(99_999, 503), ArangoFailures.UNAVAILABLE],
    ['HTTP 503 without ArangoDB body', { name: 'HttpError', code: 503, message: 'Service Unavailable' }, ArangoFailures.UNAVAILABLE],
    ['HTTP 500 from a proxy', { name: 'HttpError', code: 500, message: 'Internal Server Error' }, ArangoFailures.UNAVAILABLE],
    ['HTTP 429', { name: 'HttpError', code: 429, message: 'Too Many Requests' }, ArangoFailures.UNAVAILABLE],
    ['HTTP 504', { name: 'HttpError', code: 504, message: 'Gateway Timeout' }, ArangoFailures.TIMEOUT],
    ['network error', new NetworkError('socket hang up', request), ArangoFailures.NETWORK],
    ['response timeout', new ResponseTimeoutError(undefined, request), ArangoFailures.TIMEOUT],
    [
      'connection refused, two causes deep',
      new FetchFailedError(undefined, request, {
        cause: new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect', errno: -111 }) }),
      }),
      ArangoFailures.NETWORK,
    ],
    ['socket reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), ArangoFailures.NETWORK],
    ['undici connect timeout', new Error('fetch failed', { cause: Object.assign(new Error('timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) }), ArangoFailures.TIMEOUT],
    ['abort signal timeout', new DOMException('The operation timed out', 'TimeoutError'), ArangoFailures.TIMEOUT],
  ];
  for (const [label, err, failure] of retriable) {
    it(`retriable: ${label}`, () => {
      const c = classifyArangoError(err);
      assert.equal(c.retriable, true);
      assert.equal(c.failure, failure);
    });
  }

  const permanent: Array<[string, unknown, string]> = [
    ['unique constraint violated', arango(1210, 409), ArangoFailures.DOCUMENT],
    ['illegal document key', arango(1221, 400), ArangoFailures.DOCUMENT],
    ['corrupted JSON', shaped(600, 400), ArangoFailures.DOCUMENT],
    ['document too large', shaped(1216, 400), ArangoFailures.DOCUMENT],
    ['schema validation failed', shaped(1620, 400), ArangoFailures.DOCUMENT],
    ['collection not found', arango(1203, 404), ArangoFailures.NOT_FOUND],
    ['database not found', shaped(1228, 404), ArangoFailures.NOT_FOUND],
    ['query parse error', shaped(1501, 400), ArangoFailures.QUERY],
    ['unauthorized', shaped(401, 401), ArangoFailures.AUTH],
    ['forbidden', shaped(11, 403), ArangoFailures.AUTH],
    ['internal error (not a cluster error)', shaped(4, 500), ArangoFailures.UNKNOWN],
    ['duplicate name', shaped(1207, 409), ArangoFailures.CONFLICT],
    ['HTTP 400 without ArangoDB body', { name: 'HttpError', code: 400, message: 'Bad Request' }, ArangoFailures.DOCUMENT],
    ['HTTP 401', { name: 'HttpError', code: 401, message: 'Unauthorized' }, ArangoFailures.AUTH],
    ['a bug of ours', new TypeError('cannot read properties of undefined'), ArangoFailures.UNKNOWN],
    ['not an error', 'boom', ArangoFailures.UNKNOWN],
    ['nothing', undefined, ArangoFailures.UNKNOWN],
  ];
  for (const [label, err, failure] of permanent) {
    it(`not retriable: ${label}`, () => {
      const c = classifyArangoError(err);
      assert.equal(c.retriable, false);
      assert.equal(c.failure, failure);
    });
  }

  it('reads a lost conditional write (stale _rev, document gone) as a revision conflict, nothing else', () => {
    assert.equal(isRevisionConflict(arango(1200, 412)), true);
    assert.equal(isRevisionConflict(arango(1202, 404)), true);
    assert.equal(isRevisionConflict(arango(1210, 409)), false);
    assert.equal(isRevisionConflict(new Error('refused')), false);
  });

  it('keeps errorNum and HTTP status', () => {
    assert.deepEqual(classifyArangoError(arango(1210, 409)), { failure: 'document', retriable: false, errorNum: 1210, status: 409 });
  });

  it('follows a cause chain only so deep', () => {
    let err: unknown = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 20; i += 1) err = new Error(`wrap ${i}`, { cause: err });
    assert.equal(classifyArangoError(err).retriable, false);
  });

  it('storeErrorFrom wraps with code, retriable, details and cause; a StoreError passes through', () => {
    const cause = arango(1200, 409);
    const err = storeErrorFrom(cause, 'upsert', 'btcusdt_api_candles_5m_2024_08_01');
    assert.ok(err instanceof StoreError);
    assert.equal(err.code, ErrorCodes.STORE);
    assert.equal(err.retriable, true);
    assert.equal(err.cause, cause);
    assert.deepEqual(err.details, { failure: 'conflict', errorNum: 1200, status: 409, collection: 'btcusdt_api_candles_5m_2024_08_01' });
    assert.match(err.message, /upsert on btcusdt_api_candles_5m_2024_08_01 failed \(conflict\): error 1200/);
    assert.deepEqual(err.toInfo(), { code: ErrorCodes.STORE, message: err.message, retriable: true });
    const already = new StoreError('already classified', { retriable: true });
    assert.equal(storeErrorFrom(already, 'get'), already);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

describe('ArangoStore without a server', () => {
  it('constructs without connecting, and closes idempotently', async () => {
    const store = new ArangoStore({ url: 'http://127.0.0.1:1' });
    assert.equal(store.kind, 'arango');
    assert.equal(store.databaseName, 'streamforge');
    await store.close();
    await store.close();
  });

  it('rejects (never throws synchronously) invalid collection names, before any request', async () => {
    const store = new ArangoStore({ url: 'http://127.0.0.1:1' });
    try {
      for (const name of ['not a/valid name', '1starts_with_digit', '_system_like', '', 'x'.repeat(257), 'a"b']) {
        const pending = store.ensureCollection(name, { sortField: 'open_time' });
        await assert.rejects(pending, (err: unknown) => err instanceof StoreError && !err.retriable, name);
      }
      await assert.rejects(store.upsert('bad name', [doc('a', 1)]), StoreError);
      await assert.rejects(store.range('bad name'), StoreError);
      await assert.rejects(store.ensureCollection('ok', { sortField: 'a.b' }), StoreError);
      // A valid name of the maximum length gets as far as the network, which is not there.
      await assert.rejects(store.ensureCollection('x'.repeat(256), { sortField: 'open_time' }), (err: unknown) => err instanceof StoreError && err.retriable);
    } finally {
      await store.close();
    }
  });

  it('turns a refused connection into a retriable StoreError', async () => {
    const store = new ArangoStore({ url: `http://127.0.0.1:${await closedPort()}`, requestTimeoutMs: 5000 });
    try {
      for (const call of [
        () => store.ensureCollection('candles', { sortField: 'open_time' }),
        () => store.upsert('candles', [doc('a', 1)]),
        () => store.get('candles', 'a'),
        () => store.count('candles'),
        () => store.listCollections(),
      ]) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof StoreError, String(err));
          assert.equal(err.retriable, true, err.message);
          assert.equal(err.details?.['failure'], 'network', err.message);
          return true;
        });
      }
      await store.upsert('candles', []); // nothing to send: no request, no error
    } finally {
      await store.close();
    }
  });

  it('refuses a non-positive batch size', () => {
    assert.throws(() => new ArangoStore({ url: 'http://127.0.0.1:1', batchSize: 0 }), StoreError);
  });
});

describe('createStore', () => {
  it('builds the embedded store when ARANGO_URL is not set', async () => {
    const store = createStore(loadConfig({}, { STREAMFORGE_DATA_DIR: ':memory:', ARANGO_URL: '  ' }));
    try {
      assert.ok(store instanceof EmbeddedStore);
      assert.equal(store.kind, 'embedded');
    } finally {
      await store.close();
    }
  });

  it('builds the ArangoDB store, without connecting, when ARANGO_URL is set', async () => {
    const config = loadConfig({}, { STREAMFORGE_DATA_DIR: ':memory:', ARANGO_URL: 'http://127.0.0.1:1', ARANGO_DB: 'sf_prod', ARANGO_PASSWORD: 'secret' });
    const store = createStore(config);
    try {
      assert.ok(store instanceof ArangoStore);
      assert.equal(store.kind, 'arango');
      assert.equal(store.databaseName, 'sf_prod');
    } finally {
      await store.close();
    }
  });
});
