// The behaviour every ObjectStore owes its callers (the trainer writing models/<id>/…, predict
// reading them back). Run it against each implementation from that implementation's test file:
// the filesystem store in a unit test, the S3 store against S3Proxy in an integration test.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ObjectStore } from '../../src/actors/ports/object-store.ts';
import { ErrorCodes, ObjectStoreError } from '../../src/protocol/index.ts';
import { rejectionOf } from './rejection-of.ts';

export interface ObjectStoreUnderTest {
  readonly store: ObjectStore;
  /** What `uri(key)` must return for this store (`s3://bucket/key`, `file:///dir/key`). */
  readonly expectedUri: (key: string) => string;
  /** Closes the store and removes whatever the factory created (a temp dir, a bucket). */
  readonly cleanup: () => Promise<void>;
}

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Keys no other test uses, even in a shared bucket. */
function freshPrefix(label: string): string {
  return `t-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`;
}

/** Bytes that differ from position to position, so a dropped, repeated or shifted chunk shows. */
function patterned(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function assertBadKey(err: unknown, key: string): void {
  assert.ok(err instanceof ObjectStoreError, `expected an ObjectStoreError for ${JSON.stringify(key)}, got ${String(err)}`);
  assert.equal(err.code, ErrorCodes.OBJECT_STORE);
  assert.equal(err.retriable, false);
  assert.ok(err.message.includes(JSON.stringify(key).slice(0, 40)), `the message names the key: ${err.message}`);
  assert.match(err.message, /keys are segments of letters, digits/);
}

const BAD_KEYS = ['', '/models/a', 'models//a', 'models/../etc/passwd', '../outside', 'models/./a', 'models/a/', 'a\\b', 'with space', 'ünïcode', '.hidden', 'models/.tmp', 'x'.repeat(1025), `a/${'y'.repeat(201)}`];

/** Registers the ObjectStore contract suite; `make` gives every test a store of its own. */
export function objectStoreContract(name: string, make: () => Promise<ObjectStoreUnderTest>): void {
  async function withStore(fn: (store: ObjectStore, expectedUri: (key: string) => string) => Promise<void>): Promise<void> {
    const { store, expectedUri, cleanup } = await make();
    try {
      await fn(store, expectedUri);
    } finally {
      await cleanup();
    }
  }

  describe(`ObjectStore contract: ${name}`, { timeout: 120_000 }, () => {
    it('gets back what was put, and undefined for a key never written', () =>
      withStore(async (store) => {
        const p = freshPrefix('get');
        await store.put(`${p}models/m1/model.json`, encode('{"layers":[1,2]}'), 'application/json');
        assert.equal(decode(await store.get(`${p}models/m1/model.json`)), '{"layers":[1,2]}');
        assert.equal(await store.get(`${p}models/m1/metadata.json`), undefined);
        assert.equal(await store.get(`${p}never/written`), undefined);
        // A prefix of existing keys is not an object.
        assert.equal(await store.get(`${p}models/m1`), undefined);
      }));

    it('overwrites: the last put wins and the key is listed once', () =>
      withStore(async (store) => {
        const p = freshPrefix('over');
        await store.put(`${p}k`, encode('first, longer than the second'));
        await store.put(`${p}k`, encode('second'));
        assert.equal(decode(await store.get(`${p}k`)), 'second');
        assert.deepEqual(await store.list(p), [`${p}k`]);
      }));

    it('lists keys under a prefix, sorted, including nested ones and prefixes ending inside a segment', () =>
      withStore(async (store) => {
        const p = freshPrefix('list');
        const written = [`${p}models/gnn-2/weights.bin`, `${p}models/gnn-10/model.json`, `${p}other/x`, `${p}models/gnn-2/model.json`, `${p}models/gnn-1/metadata.json`, `${p}models/lstm/model.json`];
        for (const key of written) await store.put(key, encode(key));
        assert.deepEqual(await store.list(`${p}models/`), [
          `${p}models/gnn-1/metadata.json`,
          `${p}models/gnn-10/model.json`,
          `${p}models/gnn-2/model.json`,
          `${p}models/gnn-2/weights.bin`,
          `${p}models/lstm/model.json`,
        ]);
        assert.deepEqual(await store.list(`${p}models/gnn-1`), [`${p}models/gnn-1/metadata.json`, `${p}models/gnn-10/model.json`]);
        assert.deepEqual(await store.list(`${p}models/gnn-2/`), [`${p}models/gnn-2/model.json`, `${p}models/gnn-2/weights.bin`]);
        assert.deepEqual(await store.list(`${p}nothing/`), []);
        assert.deepEqual(await store.list(p), [...written].sort());
      }));

    it('deletePrefix removes everything under the prefix and nothing beside it', () =>
      withStore(async (store) => {
        const p = freshPrefix('del');
        for (const key of [`${p}models/a/model.json`, `${p}models/a/weights.bin`, `${p}models/a/deep/x`, `${p}models/ab/model.json`, `${p}models/b/model.json`]) await store.put(key, encode(key));
        await store.deletePrefix(`${p}models/a/`);
        assert.deepEqual(await store.list(p), [`${p}models/ab/model.json`, `${p}models/b/model.json`]);
        assert.equal(await store.get(`${p}models/a/model.json`), undefined);
        await store.deletePrefix(`${p}models/a/`); // nothing left to delete: fine
        await store.deletePrefix(`${p}never/`);
        // The directory-like place of a deleted model can be written again.
        await store.put(`${p}models/a/model.json`, encode('again'));
        assert.equal(decode(await store.get(`${p}models/a/model.json`)), 'again');
        const err = await rejectionOf('deletePrefix("")', () => store.deletePrefix(''));
        assert.ok(err instanceof ObjectStoreError && !err.retriable);
        assert.equal((await store.list(p)).length, 3, 'the refused deletePrefix("") deleted nothing');
      }));

    it('round-trips a 12 MB object exactly (multipart on S3)', () =>
      withStore(async (store) => {
        const p = freshPrefix('large');
        const big = patterned(12 * 1024 * 1024 + 123, 7);
        await store.put(`${p}models/big/weights.bin`, big);
        const back = await store.get(`${p}models/big/weights.bin`);
        assert.ok(back !== undefined);
        assert.equal(back.byteLength, big.byteLength);
        assert.equal(sha256(back), sha256(big));
      }));

    it('keeps binary bodies exact: every byte value, an empty object, a view into a larger buffer', () =>
      withStore(async (store) => {
        const p = freshPrefix('bin');
        const all = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
        await store.put(`${p}all-bytes.bin`, all);
        assert.deepEqual(await store.get(`${p}all-bytes.bin`), all);
        await store.put(`${p}empty.bin`, new Uint8Array(0));
        assert.deepEqual(await store.get(`${p}empty.bin`), new Uint8Array(0));
        const backing = patterned(1000, 3);
        const view = backing.subarray(100, 300);
        await store.put(`${p}view.bin`, view);
        assert.deepEqual(await store.get(`${p}view.bin`), backing.slice(100, 300));
      }));

    it('holds the trainer layout models/<id>/{model.json,weights.bin,metadata.json} with a checkable sha256', () =>
      withStore(async (store) => {
        const p = freshPrefix('layout');
        const id = 'gnn-BTCUSDT-20260101T000000Z-0f3a';
        const weights = patterned(300_000, 11);
        await store.put(`${p}models/${id}/model.json`, encode('{"format":"layers-model"}'), 'application/json');
        await store.put(`${p}models/${id}/weights.bin`, weights);
        await store.put(`${p}models/${id}/metadata.json`, encode(JSON.stringify({ id, weights_sha256: sha256(weights) })), 'application/json');
        assert.deepEqual(await store.list(`${p}models/${id}/`), [`${p}models/${id}/metadata.json`, `${p}models/${id}/model.json`, `${p}models/${id}/weights.bin`]);
        const meta = JSON.parse(decode(await store.get(`${p}models/${id}/metadata.json`)) ?? '{}') as { weights_sha256?: string };
        const back = await store.get(`${p}models/${id}/weights.bin`);
        assert.ok(back !== undefined);
        assert.equal(sha256(back), meta.weights_sha256);
      }));

    it('concurrent writes of one key leave one whole body, never a mix', () =>
      withStore(async (store) => {
        const p = freshPrefix('race');
        const bodies = [1, 2, 3, 4].map((seed) => patterned(256 * 1024, seed));
        await Promise.all(bodies.map((b) => store.put(`${p}k`, b)));
        const back = await store.get(`${p}k`);
        assert.ok(back !== undefined);
        const digest = sha256(back);
        assert.ok(bodies.some((b) => sha256(b) === digest), 'the stored body is one of those written');
        assert.deepEqual(await store.list(p), [`${p}k`], 'no temp file or part is listed');
      }));

    it('rejects bad keys on put, get and uri, and bad prefixes on list, naming what is accepted', () =>
      withStore(async (store) => {
        for (const key of BAD_KEYS) {
          assertBadKey(await rejectionOf(`put(${JSON.stringify(key)})`, () => store.put(key, encode('x'))), key);
          assertBadKey(await rejectionOf(`get(${JSON.stringify(key)})`, () => store.get(key)), key);
          assert.throws(() => store.uri(key), (err: unknown) => (assertBadKey(err, key), true));
        }
        for (const prefix of ['/models', '../', 'models/../', 'a//b/', 'sp ace/']) {
          const err = await rejectionOf(`list(${JSON.stringify(prefix)})`, () => store.list(prefix));
          assert.ok(err instanceof ObjectStoreError && !err.retriable, `list(${JSON.stringify(prefix)}) is refused`);
        }
      }));

    it('names where a key is: uri()', () =>
      withStore((store, expectedUri) => {
        for (const key of ['models/gnn-1/model.json', 'a', 'x/y/z.bin']) assert.equal(store.uri(key), expectedUri(key));
        return Promise.resolve();
      }));

    it('refuses calls after close', async () => {
      const { store, cleanup } = await make();
      try {
        await store.close();
        const err = await rejectionOf('put after close', () => store.put('models/x/model.json', encode('x')));
        assert.ok(err instanceof ObjectStoreError && !err.retriable);
        assert.match(err.message, /closed/);
      } finally {
        await cleanup();
      }
    });
  });
}
