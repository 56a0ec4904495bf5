// Stage processes open the embedded bus and store while other processes write to them: opening must
// wait for a writer's lock (the busy timeout), not fail with "database is locked" and cost the stage
// a crash and a restart.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';

/** Another process holding the write lock of `path` for `holdMs`, once it says `locked`; `exited` settles when it has let go. */
async function holdWriteLock(path: string, sql: string, holdMs: number): Promise<{ readonly exited: Promise<unknown> }> {
  const script = `
    import { DatabaseSync } from 'node:sqlite';
    const db = new DatabaseSync(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    db.exec(${JSON.stringify(sql)});
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${holdMs});
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let out = '';
  for await (const chunk of child.stdout) {
    out += String(chunk);
    if (out.includes('locked')) break;
  }
  assert.match(out, /locked/, 'the lock holder started');
  return { exited };
}

describe('opening the embedded bus and store while another process writes', () => {
  it('waits for the writer instead of failing with "database is locked"', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sf-open-locked-'));
    try {
      await new EmbeddedBus({ dataDir, retentionMs: 0 }).close();
      await new EmbeddedStore(dataDir).close();

      const busWriter = await holdWriteLock(join(dataDir, 'bus.sqlite'), "INSERT INTO topics (name, partitions) VALUES ('held', 1)", 300);
      const bus = new EmbeddedBus({ dataDir, retentionMs: 0 });
      await bus.close();
      await busWriter.exited;

      const storeWriter = await holdWriteLock(join(dataDir, 'store.sqlite'), "INSERT INTO collections (name, sort_field, table_name) VALUES ('held', 'n', 'held')", 300);
      const store = new EmbeddedStore(dataDir);
      await store.close();
      await storeWriter.exited;
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
