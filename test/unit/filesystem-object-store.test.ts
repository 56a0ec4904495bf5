import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { ObjectStoreError } from '../../src/protocol/index.ts';
import { loadConfig } from '../../src/system/config/index.ts';
import { createObjectStore, FilesystemObjectStore } from '../../src/system/objects/index.ts';
import { objectStoreContract } from '../helpers/object-store-contract.ts';
import { rejectionOf } from '../helpers/rejection-of.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sf-objects-test-'));
}

objectStoreContract('FilesystemObjectStore in a temp dir', async () => {
  const dir = await tempDir();
  const store = new FilesystemObjectStore(dir);
  return {
    store,
    expectedUri: (key) => `${pathToFileURL(dir).href}/${key}`,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('FilesystemObjectStore', () => {
  it('is the default: models under STREAMFORGE_DATA_DIR/models/<id>/, and no key outside models/ and checkpoints/', async () => {
    const dir = await tempDir();
    try {
      const store = createObjectStore(loadConfig({}, { STREAMFORGE_DATA_DIR: dir }));
      assert.equal(store.kind, 'filesystem');
      await store.put('models/m1/model.json', new TextEncoder().encode('{}'));
      assert.equal(await readFile(join(dir, 'models', 'm1', 'model.json'), 'utf8'), '{}');
      assert.equal(store.uri('models/m1/model.json'), pathToFileURL(join(dir, 'models', 'm1', 'model.json')).href);
      const refused = await rejectionOf('a put outside models/', () => store.put('bus.sqlite/x', new Uint8Array(1)));
      assert.ok(refused instanceof ObjectStoreError && !refused.retriable && /start with models\/ or checkpoints\//.test(refused.message), String(refused));
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves no temp file behind and removes the directories a deleted prefix leaves empty', async () => {
    const dir = await tempDir();
    try {
      const store = new FilesystemObjectStore(dir);
      await store.put('models/a/model.json', new Uint8Array([1]));
      await store.put('models/a/weights.bin', new Uint8Array([2]));
      await store.put('models/b/model.json', new Uint8Array([3]));
      assert.deepEqual((await readdir(join(dir, 'models', 'a'))).sort(), ['model.json', 'weights.bin']);
      await store.deletePrefix('models/a/');
      await assert.rejects(stat(join(dir, 'models', 'a')), { code: 'ENOENT' });
      assert.deepEqual(await readdir(join(dir, 'models')), ['b']);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not list the temp file of a write in flight, nor files that are not valid keys', async () => {
    const dir = await tempDir();
    try {
      const store = new FilesystemObjectStore(dir);
      await store.put('models/a/model.json', new Uint8Array([1]));
      await writeFile(join(dir, 'models', 'a', '.weights.bin.tmp-0123456789ab'), 'partial');
      assert.deepEqual(await store.list('models/'), ['models/a/model.json']);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails a put whose key runs through an existing object with a non-retriable error naming the key', async () => {
    const dir = await tempDir();
    try {
      const store = new FilesystemObjectStore(dir);
      await store.put('models/a', new Uint8Array([1]));
      const err = await rejectionOf('put under an object', () => store.put('models/a/model.json', new Uint8Array([2])));
      assert.ok(err instanceof ObjectStoreError);
      assert.equal(err.retriable, false);
      assert.match(err.message, /models\/a\/model\.json/);
      assert.match(err.message, /cannot also be a prefix/);
      assert.deepEqual(new Uint8Array((await store.get('models/a')) ?? []), new Uint8Array([1]));
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a root it cannot write to as a non-retriable error with the cause kept', async () => {
    const dir = await tempDir();
    try {
      await mkdir(join(dir, 'ro'));
      await writeFile(join(dir, 'ro', 'models'), 'a file where the models directory should be');
      const store = new FilesystemObjectStore(join(dir, 'ro', 'models'));
      const err = await rejectionOf('put under a file', () => store.put('models/a/model.json', new Uint8Array([1])));
      assert.ok(err instanceof ObjectStoreError);
      assert.equal(err.retriable, false);
      assert.ok(err.cause instanceof Error);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
