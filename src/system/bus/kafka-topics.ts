import type { Admin } from 'kafkajs';
import type { Clock, PartitionLag, TopicSpec } from '../../actors/ports/index.ts';
import { BusError } from '../../protocol/index.ts';
import { systemClock } from '../observability/system-clock.ts';
import { kafkaBusError } from './kafka-bus-error.ts';
import type { StartOffsets } from './kafka-subscription.ts';
import { untilDone } from './until-done.ts';
import { withTimeout } from './with-timeout.ts';

/** @internal What KafkaBus's admin side needs. */
export interface KafkaTopicsSettings {
  readonly defaultPartitions: number;
  readonly replicationFactor: number;
  /** Timeout of one admin request (create, delete). */
  readonly timeoutMs: number;
  /**
   * How long an admin operation keeps going through retriable errors (a topic another client is
   * creating, leaders being elected, a busy broker) before it fails for good.
   */
  readonly readyTimeoutMs: number;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
}

/** The admin calls used here: a kafkajs `Admin`. */
export type TopicAdmin = Pick<
  Admin,
  'connect' | 'disconnect' | 'createTopics' | 'fetchTopicMetadata' | 'listTopics' | 'deleteTopics' | 'deleteGroups' | 'fetchOffsets' | 'fetchTopicOffsets'
>;

/** Kafka's `GROUP_ID_NOT_FOUND`: a group never used, or deleted already. */
const GROUP_ID_NOT_FOUND = 69;

/**
 * Topics and group offsets through one lazily connected admin client. Remembers which topics it
 * has seen, so produce() to a topic that was never created fails at once instead of retrying
 * for its whole timeout (kafkajs treats an unknown topic as retriable).
 *
 * Metadata is eventually consistent: right after a topic is created (by us or by another client),
 * a broker may still answer `UNKNOWN_TOPIC_OR_PARTITION` or report partitions without a leader,
 * and a busy broker may time out. Every admin operation here therefore retries what kafkajs marks
 * retriable, with a bounded backoff, until `readyTimeoutMs`; then it fails with a non-retriable
 * error naming the topics.
 */
export class KafkaTopics {
  readonly #kafka: { admin(): TopicAdmin };
  readonly #settings: KafkaTopicsSettings;
  readonly #clock: Clock;
  readonly #known = new Set<string>();
  #admin: Promise<TopicAdmin> | undefined;

  constructor(kafka: { admin(): TopicAdmin }, settings: KafkaTopicsSettings) {
    this.#kafka = kafka;
    this.#settings = settings;
    this.#clock = settings.clock ?? systemClock;
  }

  /** Creates what is missing (existing topics are fine) and waits until every partition has a leader. */
  async ensure(topics: readonly TopicSpec[]): Promise<void> {
    if (topics.length === 0) return;
    const names = topics.map((t) => t.name);
    let created = false;
    await this.#untilDone(`ensure topics ${names.join(', ')}`, async (admin) => {
      if (!created) {
        // Resolves false instead of throwing when topics already exist. Its own leader wait gives up
        // on UNKNOWN_TOPIC_OR_PARTITION, so ours below does the waiting.
        await admin.createTopics({
          topics: topics.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions ?? this.#settings.defaultPartitions,
            replicationFactor: this.#settings.replicationFactor,
          })),
          waitForLeaders: false,
          timeout: this.#settings.timeoutMs,
        });
        created = true;
      }
      // Also for topics that existed, or that another client is creating right now.
      const meta = await admin.fetchTopicMetadata({ topics: [...names] });
      const ready =
        meta.topics.length === names.length && meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (!ready) throw new BusError(`topics ${names.join(', ')} have partitions without a leader yet`, { retriable: true });
    });
    for (const n of names) this.#known.add(n);
  }

  async assertExists(topic: string): Promise<void> {
    if (this.#known.has(topic)) return;
    const exists = await this.#untilDone(`look up topic ${topic}`, async (admin) => (await admin.listTopics()).includes(topic));
    if (!exists) throw new BusError(`topic ${topic} does not exist; create it with ensureTopics first`, { retriable: false });
    this.#known.add(topic);
  }

  /** Deletes those that exist and resolves once the deletion is visible, so a re-create or a produce sees it. */
  async delete(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    for (const t of topics) this.#known.delete(t);
    const wanted = new Set(topics);
    let requested = false;
    await this.#untilDone(`delete topics ${topics.join(', ')}`, async (admin) => {
      const existing = (await admin.listTopics()).filter((t) => wanted.has(t));
      if (existing.length === 0) return;
      if (!requested) {
        await admin.deleteTopics({ topics: existing, timeout: this.#settings.timeoutMs });
        requested = true;
      }
      if ((await admin.listTopics()).some((t) => wanted.has(t))) {
        throw new BusError(`topics ${existing.join(', ')} are still listed after deletion`, { retriable: true });
      }
    });
  }

  /**
   * Deletes consumer groups and their committed offsets; one that does not exist is fine. A group
   * with members (`GROUP_NOT_EMPTY`) is not deleted: a retriable BusError names it.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const admin = await this.#untilDone(`connect to delete groups ${groupIds.join(', ')}`, (a) => Promise.resolve(a));
    try {
      await admin.deleteGroups([...groupIds]);
    } catch (err) {
      const refused = groupResults(err).filter((g) => g.errorCode !== GROUP_ID_NOT_FOUND);
      if (groupResults(err).length > 0 && refused.length === 0) return;
      throw new BusError(`could not delete consumer groups ${(refused.length > 0 ? refused.map((g) => g.groupId) : groupIds).join(', ')}`, {
        cause: err,
        retriable: true,
      });
    }
  }

  /** Partitions where the group has no committed offset yet, with the topic's current end. */
  async endOffsetsOfUncommitted(groupId: string, topics: readonly string[]): Promise<StartOffsets> {
    return this.#untilDone(`read offsets of group ${groupId}`, async (admin) => {
      const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
      const result = new Map<string, Map<number, string>>();
      for (const { topic, partitions } of committed) {
        const missing = new Set(partitions.filter((p) => Number(p.offset) < 0).map((p) => p.partition));
        if (missing.size === 0) continue;
        const ends = (await admin.fetchTopicOffsets(topic)).filter((e) => missing.has(e.partition));
        result.set(topic, new Map(ends.map((e) => [e.partition, e.high])));
      }
      return result;
    });
  }

  /**
   * Each group's lag on every partition of its topics: the partition's end (high watermark) minus
   * the group's committed offset (its start, the low watermark, where it has none). One attempt,
   * bounded by the admin timeout: a reading for metrics must not hang on a broker that is away.
   */
  async lag(groups: ReadonlyMap<string, ReadonlySet<string>>): Promise<PartitionLag[]> {
    if (groups.size === 0) return [];
    const read = async (): Promise<PartitionLag[]> => {
      const admin = await this.#connected();
      const ends = new Map<string, Map<number, { high: number; low: number }>>();
      const endsOf = async (topic: string) => {
        let byPartition = ends.get(topic);
        if (byPartition === undefined) {
          byPartition = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { high: Number(o.high), low: Number(o.low) }]));
          ends.set(topic, byPartition);
        }
        return byPartition;
      };
      const lags: PartitionLag[] = [];
      for (const [groupId, topics] of groups) {
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
          const end = await endsOf(topic);
          for (const p of partitions) {
            const bounds = end.get(p.partition);
            if (bounds === undefined) continue;
            const committed = Number(p.offset) >= 0 ? Number(p.offset) : bounds.low;
            lags.push({ groupId, topic, partition: p.partition, lag: Math.max(0, bounds.high - committed) });
          }
        }
      }
      return lags;
    };
    try {
      return await withTimeout(read(), this.#settings.timeoutMs, () => new BusError(`reading consumer lag took longer than ${this.#settings.timeoutMs} ms`, { retriable: true }));
    } catch (err) {
      throw kafkaBusError(err, 'read consumer lag');
    }
  }

  /** The connected admin client, if one was ever connected; forgets it. */
  release(): Promise<TopicAdmin> | undefined {
    const admin = this.#admin;
    this.#admin = undefined;
    return admin;
  }

  #untilDone<T>(what: string, operation: (admin: TopicAdmin) => Promise<T>): Promise<T> {
    return untilDone(what, async () => operation(await this.#connected()), { clock: this.#clock, timeoutMs: this.#settings.readyTimeoutMs });
  }

  #connected(): Promise<TopicAdmin> {
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

/** The per-group outcomes kafkajs's `KafkaJSDeleteGroupsError` carries (none for any other error). */
function groupResults(err: unknown): Array<{ groupId: string; errorCode: number }> {
  const groups = typeof err === 'object' && err !== null && 'groups' in err ? err.groups : undefined;
  if (!Array.isArray(groups)) return [];
  return groups.flatMap((g: unknown) =>
    typeof g === 'object' && g !== null && 'groupId' in g && 'errorCode' in g && typeof g.groupId === 'string' && typeof g.errorCode === 'number'
      ? [{ groupId: g.groupId, errorCode: g.errorCode }]
      : [],
  );
}
