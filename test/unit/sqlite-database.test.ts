import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { EmbeddedStore, openSqlite } from '../../src/system/store/index.ts';

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('data at rest', () => {
  it('creates the data dir 0700 and the bus and store files 0600, their WAL files too', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sf-data-dir-'));
    try {
      const dataDir = join(root, 'nested', 'data');
      const bus = new EmbeddedBus({ dataDir, retentionMs: 0 });
      const store = new EmbeddedStore(dataDir);
      try {
        await bus.ensureTopics([{ name: 't', partitions: 1 }]);
        await bus.produce('t', [{ key: null, value: 'secret' }]);
        await store.ensureCollection('c', { sortField: 'n' });
        await store.upsert('c', [{ _key: 'k', n: 1 }]);
        assert.equal(await mode(join(root, 'nested')), 0o700);
        assert.equal(await mode(dataDir), 0o700);
        for (const file of ['bus.sqlite', 'bus.sqlite-wal', 'bus.sqlite-shm', 'store.sqlite', 'store.sqlite-wal', 'store.sqlite-shm']) {
          assert.equal(await mode(join(dataDir, file)), 0o600, file);
        }
      } finally {
        await bus.close();
        await store.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('narrows a database file an older version left 0644, and leaves an existing folder as it is', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sf-data-dir-'));
    try {
      const dataDir = join(root, 'shared');
      await mkdir(dataDir);
      await chmod(dataDir, 0o755);
      const path = join(dataDir, 'store.sqlite');
      await writeFile(path, '');
      await chmod(path, 0o644);
      openSqlite(path).close();
      assert.equal(await mode(path), 0o600);
      assert.equal(await mode(dataDir), 0o755, 'it may be the user\'s own folder (STREAMFORGE_DATA_DIR=.): not ours to change');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
