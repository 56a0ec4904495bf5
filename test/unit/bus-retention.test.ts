import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { BusMessage } from '../../src/actors/ports/index.ts';
import { BusRetention, EmbeddedBus } from '../../src/system/bus/index.ts';
import { loadConfig } from '../../src/system/config/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { failTestOnError } from '../helpers/fail-test-on-error.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

async function withDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-bus-retention-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const messages = (prefix: string, n: number, bytes = 8) =>
  Array.from({ length: n }, (_, i) => ({ key: 'BTCUSDT', value: `${prefix}-${String(i).padStart(6, '0')}`.padEnd(bytes, '.') }));

/** Every message a new subscription of `groupId` is given, until `count` arrived. */
async function read(bus: EmbeddedBus, topic: string, groupId: string, count: number): Promise<BusMessage[]> {
  const seen: BusMessage[] = [];
  const sub = await bus.subscribe({
    groupId,
    topics: [topic],
    onError: failTestOnError(`${groupId}'s reader`),
    fromBeginning: true,
    handler: (batch) => {
      seen.push(...batch);
      return Promise.resolve();
    },
  });
  try {
    await waitFor(`${count} messages for ${groupId}`, () => (seen.length >= count ? true : undefined), 10_000);
    return seen;
  } finally {
    await sub.close();
  }
}

/** The bus file's size once closed (its WAL checkpointed into it). */
const fileBytes = async (dir: string): Promise<number> => (await stat(join(dir, 'bus.sqlite'))).size;

describe('EmbeddedBus retention', { timeout: 120_000 }, () => {
  it('removes messages past the retention from the start of the log, read or not, and numbers new ones on from the old end', async () => {
    await withDir(async (dir) => {
      const logs: LogLine[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
      const clock = new FakeClock(T0);
      const bus = new EmbeddedBus({ dataDir: dir, clock, logger, retentionMs: HOUR, retentionCheckMs: 10 * 60_000 });
      try {
        await bus.ensureTopics([{ name: 'wf-old-data', partitions: 1 }]);
        // A group that subscribed and never committed: its messages go all the same once they are old enough.
        const stuck = await bus.subscribe({ groupId: 'stuck', topics: ['wf-old-data'], fromBeginning: true, handler: () => new Promise<void>(() => undefined), onError: failTestOnError('the stuck subscription') });
        await bus.produce('wf-old-data', messages('a', 1500));
        await clock.advance(30 * 60_000);
        await bus.produce('wf-old-data', messages('b', 500));
        await stuck.close();

        // At 70 minutes (the pass after the hour) 1500 of the 2000 are past the hour: both of their batches went, the newer one stayed.
        await clock.advance(40 * 60_000);
        const removed = logs.filter((l) => l.msg === 'bus retention removed old messages');
        assert.deepEqual(removed.map((l) => [l.batches, l.messages]), [[2, 1500]]);
        const resumed = await read(bus, 'wf-old-data', 'stuck', 500);
        assert.deepEqual(resumed.map((m) => m.value), messages('b', 500).map((m) => m.value), 'the stuck group resumes at the first message kept');
        assert.equal(resumed[0]?.offset, '1500');
        const lost = logs.filter((l) => l.level === 40 && /expired before this group read them/.test(l.msg));
        assert.deepEqual(lost.map((l) => [l.group, l.from_offset, l.to_offset]), [['stuck', 0, 1500]], 'said once, at warn');
        const fresh = await read(bus, 'wf-old-data', 'fresh', 500);
        assert.equal(fresh[0]?.offset, '1500', 'a new group begins at the first message kept');
        assert.equal(logs.filter((l) => l.level === 40).length, 1, 'a new group lost nothing');

        // Everything old: the log is empty, and the next message still gets the next offset, not 0.
        await clock.advance(HOUR);
        await bus.produce('wf-old-data', messages('c', 3));
        const later = await read(bus, 'wf-old-data', 'later', 3);
        assert.deepEqual(later.map((m) => m.offset), ['2000', '2001', '2002']);
      } finally {
        await bus.close();
      }
      // The log's end survives a reopen too.
      const reopened = new EmbeddedBus({ dataDir: dir, clock: new FakeClock(T0 + 10 * HOUR), retentionMs: HOUR });
      try {
        await reopened.produce('wf-old-data', messages('d', 1));
        assert.deepEqual((await read(reopened, 'wf-old-data', 'last', 4)).map((m) => m.offset), ['2000', '2001', '2002', '2003']);
      } finally {
        await reopened.close();
      }
    });
  });

  it('gives the space back to the file system after retention and after a topic is deleted', async () => {
    await withDir(async (dir) => {
      const fill = async (bus: EmbeddedBus, topic: string) => {
        await bus.ensureTopics([{ name: topic, partitions: 3 }]);
        for (let i = 0; i < 8; i++) await bus.produce(topic, messages(`${topic}${i}`, 2000, 1000).map((m, j) => ({ ...m, key: `k${j % 3}` })));
      };
      const first = new EmbeddedBus({ dataDir: dir, clock: new FakeClock(T0), retentionMs: HOUR });
      await first.ensureTopics([{ name: 'queue-events', partitions: 1 }]);
      await fill(first, 'wf-aged-data');
      await first.close();
      const full = await fileBytes(dir);
      assert.ok(full > 16_000_000, `16 MB of messages written: ${full} bytes`);

      // Reopened two hours later: the first pass (a second after opening) removes them and compacts.
      const clock = new FakeClock(T0 + 2 * HOUR);
      const second = new EmbeddedBus({ dataDir: dir, clock, retentionMs: HOUR });
      await clock.advance(1_000);
      await second.close();
      const aged = await fileBytes(dir);
      assert.ok(aged < full / 10, `after retention the file is ${aged} bytes, down from ${full}`);

      const third = new EmbeddedBus({ dataDir: dir, retentionMs: 0 });
      await fill(third, 'wf-deleted-data');
      await third.deleteTopics(['wf-deleted-data']);
      await third.close();
      const deleted = await fileBytes(dir);
      assert.ok(deleted < full / 10, `after deleting the topic the file is ${deleted} bytes`);
    });
  });

  it('keeps everything with a retention of 0', async () => {
    await withDir(async (dir) => {
      const clock = new FakeClock(T0);
      const bus = new EmbeddedBus({ dataDir: dir, clock, retentionMs: 0 });
      try {
        await bus.ensureTopics([{ name: 'kept', partitions: 1 }]);
        await bus.produce('kept', messages('k', 10));
        await clock.advance(365 * 24 * HOUR);
        assert.equal(clock.pending, 0, 'no retention timer at all');
        assert.equal((await read(bus, 'kept', 'g', 10))[0]?.offset, '0');
      } finally {
        await bus.close();
      }
    });
  });

  it('rewrites a file made without auto-vacuum once enough of it is free, turning incremental auto-vacuum on', async () => {
    await withDir((dir) => {
      const path = join(dir, 'old.sqlite');
      const db = new DatabaseSync(path);
      db.exec(`
        PRAGMA journal_mode = WAL;
        CREATE TABLE topics (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, partitions INTEGER NOT NULL);
        CREATE TABLE record_batches (topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, end_offset INTEGER NOT NULL, base_offset INTEGER NOT NULL,
          ts INTEGER NOT NULL, keys TEXT NOT NULL, lengths BLOB NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (topic_id, partition, end_offset));
        INSERT INTO topics VALUES (1, 'old', 1);
      `);
      const insert = db.prepare('INSERT INTO record_batches VALUES (1, 0, ?, ?, ?, ?, ?, ?)');
      for (let i = 0; i < 40; i++) insert.run(i + 1, i, i < 30 ? T0 : T0 + 2 * HOUR, '"k"', new Uint8Array(4), 'x'.repeat(100_000));
      const pragma = (name: string) => (db.prepare(`PRAGMA ${name}`).get() as Record<string, number>)[name];
      assert.equal(pragma('auto_vacuum'), 0);
      const retention = new BusRetention(db, { vacuumMinFreeBytes: 1_000_000 });
      assert.deepEqual(retention.expire(T0 + HOUR), { batches: 30, messages: 30 });
      const compaction = retention.compact();
      assert.equal(compaction.how, 'vacuum');
      assert.ok(compaction.freedBytes > 2_500_000, `${compaction.freedBytes} bytes freed`);
      assert.equal(pragma('auto_vacuum'), 2, 'incremental from now on');
      assert.equal(pragma('freelist_count'), 0);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM record_batches').get() as { n: number }).n, 10);
      // Nothing more to give back: no second rewrite.
      assert.deepEqual(retention.compact(), { freedBytes: 0, how: 'none' });
      db.close();
      return Promise.resolve();
    });
  });

  it('is configured by STREAMFORGE_BUS_RETENTION_MS, 7 days by default, checked every 5 minutes', () => {
    const c = loadConfig({}, {});
    assert.deepEqual([c.STREAMFORGE_BUS_RETENTION_MS, c.STREAMFORGE_BUS_RETENTION_CHECK_MS], [604_800_000, 300_000]);
    assert.equal(loadConfig({}, { STREAMFORGE_BUS_RETENTION_MS: '0' }).STREAMFORGE_BUS_RETENTION_MS, 0);
    assert.throws(() => loadConfig({}, { STREAMFORGE_BUS_RETENTION_MS: '-1' }), /STREAMFORGE_BUS_RETENTION_MS/);
  });
});
