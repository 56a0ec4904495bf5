import { setTimeout as delay } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import type { TopicSpec } from '../../actors/ports/index.ts';
import { BusError } from '../../protocol/index.ts';
import { kafkaBusError } from './kafka-bus-error.ts';
import type { StartOffsets } from './kafka-subscription.ts';

/** @internal What KafkaBus's admin side needs. */
export interface KafkaTopicsSettings {
  readonly defaultPartitions: number;
  readonly replicationFactor: number;
  readonly timeoutMs: number;
}

/**
 * Topics and group offsets through one lazily connected admin client. Remembers which topics it
 * has seen, so produce() to a topic that was never created fails at once instead of retrying
 * for its whole timeout (kafkajs treats an unknown topic as retriable).
 */
export class KafkaTopics {
  readonly #kafka: Kafka;
  readonly #settings: KafkaTopicsSettings;
  readonly #known = new Set<string>();
  #admin: Promise<Admin> | undefined;

  constructor(kafka: Kafka, settings: KafkaTopicsSettings) {
    this.#kafka = kafka;
    this.#settings = settings;
  }

  /** Creates what is missing (existing topics are fine) and waits until every partition has a leader. */
  async ensure(topics: readonly TopicSpec[]): Promise<void> {
    if (topics.length === 0) return;
    const names = topics.map((t) => t.name);
    try {
      const admin = await this.#connected();
      // Resolves false instead of throwing when topics already exist.
      await admin.createTopics({
        topics: topics.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions ?? this.#settings.defaultPartitions,
          replicationFactor: this.#settings.replicationFactor,
        })),
        waitForLeaders: true,
        timeout: this.#settings.timeoutMs,
      });
      // Also for topics that existed, or that another process is creating right now.
      await this.#waitForLeaders(admin, names);
    } catch (err) {
      throw kafkaBusError(err, `ensure topics ${names.join(', ')}`);
    }
    for (const n of names) this.#known.add(n);
  }

  async #waitForLeaders(admin: Admin, topics: readonly string[]): Promise<void> {
    const deadline = Date.now() + this.#settings.timeoutMs;
    for (;;) {
      const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
      const ready =
        meta.topics.length === topics.length && meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
      if (Date.now() > deadline) throw new BusError(`topics ${topics.join(', ')} have no leaders after ${this.#settings.timeoutMs} ms`);
      await delay(100);
    }
  }

  async assertExists(topic: string): Promise<void> {
    if (this.#known.has(topic)) return;
    let exists: boolean;
    try {
      exists = (await (await this.#connected()).listTopics()).includes(topic);
    } catch (err) {
      throw kafkaBusError(err, `look up topic ${topic}`);
    }
    if (!exists) throw new BusError(`topic ${topic} does not exist; create it with ensureTopics first`, { retriable: false });
    this.#known.add(topic);
  }

  /** Deletes those that exist and resolves once the deletion is visible, so a re-create or a produce sees it. */
  async delete(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    for (const t of topics) this.#known.delete(t);
    try {
      const admin = await this.#connected();
      const wanted = new Set(topics);
      const existing = (await admin.listTopics()).filter((t) => wanted.has(t));
      if (existing.length === 0) return;
      await admin.deleteTopics({ topics: existing, timeout: this.#settings.timeoutMs });
      const deadline = Date.now() + this.#settings.timeoutMs;
      while ((await admin.listTopics()).some((t) => wanted.has(t))) {
        if (Date.now() > deadline) throw new BusError(`topics ${existing.join(', ')} still listed ${this.#settings.timeoutMs} ms after deletion`);
        await delay(100);
      }
    } catch (err) {
      throw kafkaBusError(err, `delete topics ${topics.join(', ')}`);
    }
  }

  /** Partitions where the group has no committed offset yet, with the topic's current end. */
  async endOffsetsOfUncommitted(groupId: string, topics: readonly string[]): Promise<StartOffsets> {
    try {
      const admin = await this.#connected();
      const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
      const result = new Map<string, Map<number, string>>();
      for (const { topic, partitions } of committed) {
        const missing = new Set(partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition));
        if (missing.size === 0) continue;
        const ends = (await admin.fetchTopicOffsets(topic)).filter((e) => missing.has(e.partition));
        result.set(topic, new Map(ends.map((e) => [e.partition, e.high])));
      }
      return result;
    } catch (err) {
      throw kafkaBusError(err, `read offsets of group ${groupId}`);
    }
  }

  /** The connected admin client, if one was ever connected; forgets it. */
  release(): Promise<Admin> | undefined {
    const admin = this.#admin;
    this.#admin = undefined;
    return admin;
  }

  #connected(): Promise<Admin> {
    if (this.#admin === undefined) {
      const admin = this.#kafka.admin();
      const connected = admin.connect().then(
        () => admin,
        (err: unknown) => {
          throw kafkaBusError(err, 'connect to Kafka');
        },
      );
      this.#admin = connected;
      // A failed connect is forgotten, so the next call tries again.
      connected.catch(() => {
        if (this.#admin === connected) this.#admin = undefined;
      });
    }
    return this.#admin;
  }
}
