import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { BusError } from '../../protocol/index.ts';
import type { Bus, BusMessage, OutgoingMessage, SubscribeOptions, Subscription, TopicSpec } from '../../actors/ports/index.ts';
import { inTransaction, openSqlite } from '../store/sqlite-database.ts';
import { partitionFor } from './partitioner.ts';

export interface EmbeddedBusOptions {
  /** Folder of `bus.sqlite`, or `:memory:`. */
  readonly dataDir: string;
  /** @defaultValue 3 */
  readonly defaultPartitions?: number;
  /** How often consumers look for messages written by other processes. @defaultValue 100 */
  readonly pollIntervalMs?: number;
}

const ROWS_PER_INSERT = 100;

interface Row {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  ts: number;
}

/**
 * The default bus: a durable log in SQLite with Kafka's semantics where actors rely on them —
 * topics split into partitions by key, per-group committed offsets, at-least-once delivery with
 * commits only after the handler finished. Survives process restarts; several processes may share
 * one data dir (consumers poll for other writers).
 */
export class EmbeddedBus implements Bus {
  readonly kind = 'embedded' as const;
  readonly #db: DatabaseSync;
  readonly #defaultPartitions: number;
  readonly #pollMs: number;
  readonly #written = new EventEmitter();
  readonly #topics = new Map<string, { id: number; partitions: number }>();
  readonly #subscriptions = new Set<EmbeddedSubscription>();
  readonly #insert: StatementSync;
  /** Inserts {@link ROWS_PER_INSERT} rows in one statement: one native call instead of one per message. */
  readonly #insertMany: StatementSync;
  readonly #maxOffset: StatementSync;
  readonly #fetch: StatementSync;
  readonly #getOffset: StatementSync;
  readonly #commit: StatementSync;

  constructor(options: EmbeddedBusOptions) {
    this.#db = openSqlite(options.dataDir === ':memory:' ? ':memory:' : join(options.dataDir, 'bus.sqlite'));
    this.#defaultPartitions = options.defaultPartitions ?? 3;
    this.#pollMs = options.pollIntervalMs ?? 100;
    this.#written.setMaxListeners(0);
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS topics (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, partitions INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS messages (
        topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
        key TEXT, value TEXT NOT NULL, ts INTEGER NOT NULL,
        PRIMARY KEY (topic_id, partition, offset)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS group_offsets (
        group_id TEXT NOT NULL, topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
        PRIMARY KEY (group_id, topic_id, partition)) WITHOUT ROWID;
    `);
    this.#insert = this.#db.prepare('INSERT INTO messages (topic_id, partition, offset, key, value, ts) VALUES (?, ?, ?, ?, ?, ?)');
    this.#insertMany = this.#db.prepare(
      `INSERT INTO messages (topic_id, partition, offset, key, value, ts) VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
    this.#maxOffset = this.#db.prepare('SELECT MAX(offset) AS o FROM messages WHERE topic_id = ? AND partition = ?');
    this.#fetch = this.#db.prepare(
      'SELECT partition, offset, key, value, ts FROM messages WHERE topic_id = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?',
    );
    this.#getOffset = this.#db.prepare('SELECT next_offset FROM group_offsets WHERE group_id = ? AND topic_id = ? AND partition = ?');
    this.#commit = this.#db.prepare(
      'INSERT INTO group_offsets (group_id, topic_id, partition, next_offset) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (group_id, topic_id, partition) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)',
    );
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    const stmt = this.#db.prepare('INSERT OR IGNORE INTO topics (name, partitions) VALUES (?, ?)');
    // Each topic is an integer in the log: short primary keys keep appends cheap.
    for (const t of topics) stmt.run(t.name, t.partitions ?? this.#defaultPartitions);
    return Promise.resolve();
  }

  produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    try {
      const { id, partitions } = this.topic(topic);
      const now = Date.now();
      let roundRobin = 0;
      inTransaction(this.#db, () => {
        const next = new Map<number, number>();
        const rows: Array<number | string | null> = [];
        for (const m of messages) {
          const p = m.key === null ? roundRobin++ % partitions : partitionFor(m.key, partitions);
          let offset = next.get(p);
          if (offset === undefined) {
            const row = this.#maxOffset.get(id, p) as { o: number | null };
            offset = row.o === null ? 0 : row.o + 1;
          }
          rows.push(id, p, offset, m.key, m.value, now);
          next.set(p, offset + 1);
          if (rows.length === ROWS_PER_INSERT * 6) {
            this.#insertMany.run(...rows);
            rows.length = 0;
          }
        }
        for (let i = 0; i < rows.length; i += 6) this.#insert.run(...rows.slice(i, i + 6));
      });
    } catch (err) {
      return Promise.reject(err instanceof BusError ? err : new BusError(`produce to ${topic} failed`, { cause: err }));
    }
    this.#written.emit(topic);
    return Promise.resolve();
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const partitions = options.topics.map((topic) => ({ topic, count: this.topic(topic).partitions }));
    // Like Kafka's auto.offset.reset: a group with no commit starts at the beginning or at the end.
    inTransaction(this.#db, () => {
      for (const { topic, count } of partitions) {
        const { id } = this.topic(topic);
        for (let p = 0; p < count; p++) {
          if (this.#getOffset.get(options.groupId, id, p) !== undefined) continue;
          const max = (this.#maxOffset.get(id, p) as { o: number | null }).o;
          this.#commit.run(options.groupId, id, p, options.fromBeginning || max === null ? 0 : max + 1);
        }
      }
    });
    const sub = new EmbeddedSubscription(this, options, partitions);
    this.#subscriptions.add(sub);
    void sub.run().finally(() => this.#subscriptions.delete(sub));
    return Promise.resolve(sub);
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    inTransaction(this.#db, () => {
      for (const t of topics) {
        const row = this.#db.prepare('SELECT id FROM topics WHERE name = ?').get(t) as { id: number } | undefined;
        if (!row) continue;
        this.#db.prepare('DELETE FROM messages WHERE topic_id = ?').run(row.id);
        this.#db.prepare('DELETE FROM group_offsets WHERE topic_id = ?').run(row.id);
        this.#db.prepare('DELETE FROM topics WHERE id = ?').run(row.id);
        this.#topics.delete(t);
      }
    });
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    if (this.#db.isOpen) this.#db.close();
  }

  /** @internal */
  topic(name: string): { id: number; partitions: number } {
    let t = this.#topics.get(name);
    if (t === undefined) {
      const row = this.#db.prepare('SELECT id, partitions FROM topics WHERE name = ?').get(name) as { id: number; partitions: number } | undefined;
      if (!row) throw new BusError(`topic ${name} does not exist; create it with ensureTopics first`, { retriable: false });
      t = { id: row.id, partitions: row.partitions };
      this.#topics.set(name, t);
    }
    return t;
  }

  /** @internal */
  fetch(groupId: string, topic: string, partition: number, max: number): BusMessage[] {
    if (!this.#db.isOpen) return [];
    const { id } = this.topic(topic);
    const committed = this.#getOffset.get(groupId, id, partition) as { next_offset: number } | undefined;
    const rows = this.#fetch.all(id, partition, committed?.next_offset ?? 0, max) as unknown as Row[];
    return rows.map((r) => ({
      topic,
      partition: r.partition,
      offset: String(r.offset),
      key: r.key,
      value: r.value,
      timestamp: r.ts,
    }));
  }

  /** @internal */
  commit(groupId: string, topic: string, partition: number, nextOffset: number): void {
    if (this.#db.isOpen) this.#commit.run(groupId, this.topic(topic).id, partition, nextOffset);
  }

  /** @internal */
  get written(): EventEmitter {
    return this.#written;
  }

  /** @internal */
  get pollIntervalMs(): number {
    return this.#pollMs;
  }
}

class EmbeddedSubscription implements Subscription {
  readonly #bus: EmbeddedBus;
  readonly #options: SubscribeOptions;
  readonly #partitions: ReadonlyArray<{ topic: string; count: number }>;
  readonly #closed = new AbortController();
  #done: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #dirty = false;

  constructor(bus: EmbeddedBus, options: SubscribeOptions, partitions: ReadonlyArray<{ topic: string; count: number }>) {
    this.#bus = bus;
    this.#options = options;
    this.#partitions = partitions;
  }

  run(): Promise<void> {
    this.#done = this.#loop();
    return this.#done;
  }

  async #loop(): Promise<void> {
    const { groupId, handler, onError } = this.#options;
    const max = this.#options.maxBatchSize ?? 500;
    const onWrite = () => {
      this.#dirty = true;
      this.#wake?.();
    };
    for (const { topic } of this.#partitions) this.#bus.written.on(topic, onWrite);
    try {
      while (!this.#closed.signal.aborted) {
        let delivered = false;
        this.#dirty = false;
        for (const { topic, count } of this.#partitions) {
          for (let p = 0; p < count && !this.#closed.signal.aborted; p++) {
            const batch = this.#bus.fetch(groupId, topic, p, max);
            const last = batch.at(-1);
            if (!last) continue;
            delivered = true;
            await this.#untilClosed(handler(batch));
            if (this.#closed.signal.aborted) return;
            this.#bus.commit(groupId, topic, p, Number(last.offset) + 1);
          }
        }
        if (!delivered && !this.#dirty) await this.#idle();
      }
    } catch (err) {
      if (!this.#closed.signal.aborted) {
        this.#closed.abort();
        onError?.(err);
      }
    } finally {
      for (const { topic } of this.#partitions) this.#bus.written.off(topic, onWrite);
    }
  }

  /** Waits for the handler, but lets close() end the loop even while a handler hangs. */
  #untilClosed(work: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => resolve();
      this.#closed.signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => this.#closed.signal.removeEventListener('abort', onAbort));
    });
  }

  #idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#bus.pollIntervalMs);
      const signal = this.#closed.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      this.#wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async close(): Promise<void> {
    this.#closed.abort();
    await this.#done;
  }
}
