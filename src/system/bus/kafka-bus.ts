import type { ConnectionOptions } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Admin, Producer, SASLOptions } from 'kafkajs';
import type { Bus, Logger, OutgoingMessage, PartitionLag, SubscribeOptions, Subscription, TopicSpec } from '../../actors/ports/index.ts';
import { BusError } from '../../protocol/index.ts';
import { kafkaBusError } from './kafka-bus-error.ts';
import { kafkaLogCreator } from './kafka-log-creator.ts';
import { KafkaSubscription } from './kafka-subscription.ts';
import type { BackpressureCounters, KafkaSubscriptionSettings } from './kafka-subscription.ts';
import { KafkaTopics } from './kafka-topics.ts';
import { Backoff } from '../../actors/retry/index.ts';
import type { BackoffPolicy } from '../../actors/retry/index.ts';
import { untilDone } from './until-done.ts';
import { withTimeout } from './with-timeout.ts';
import { systemClock } from '../observability/system-clock.ts';

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  /** @defaultValue 'streamforge' */
  readonly clientId?: string;
  /** TLS, as derived by kafkaConnectionOptions(). @defaultValue plaintext */
  readonly ssl?: ConnectionOptions | boolean;
  /** SASL, as derived by kafkaConnectionOptions(). @defaultValue none */
  readonly sasl?: SASLOptions;
  /** Partitions of a topic created without an explicit count. @defaultValue 3 */
  readonly defaultPartitions?: number;
  /** @defaultValue 1 */
  readonly replicationFactor?: number;
  /** Receives kafkajs's warnings and errors. @defaultValue silent */
  readonly logger?: Logger;
  /** How long produce() waits and retries (e.g. through a broker restart) before it rejects. @defaultValue 30_000 */
  readonly produceTimeoutMs?: number;
  /** Largest payload of one send; bigger produce() calls go out as several sends, in order. @defaultValue 524_288 */
  readonly maxBatchBytes?: number;
  /** 1..5; the idempotent producer keeps order either way. @defaultValue 1 */
  readonly maxInFlightRequests?: number;
  /** Delivered-but-unhandled messages of one subscription above which its partition is paused. @defaultValue 2_000 */
  readonly highWaterMark?: number;
  /** ...and at or below which it is resumed. @defaultValue 500 */
  readonly lowWaterMark?: number;
  /** How long subscribe() waits for the group join. @defaultValue 30_000 */
  readonly subscribeTimeoutMs?: number;
  /** How long closing one subscription may take, even if its handler hangs. @defaultValue 10_000 */
  readonly closeTimeoutMs?: number;
  /** Timeout of admin calls (create, delete, wait for leaders). @defaultValue 15_000 */
  readonly adminTimeoutMs?: number;
  /**
   * How long topic creation, topic lookups and offset reads keep retrying retriable errors (a topic
   * still being created, leaders being elected, a busy broker) before they fail. @defaultValue 30_000
   */
  readonly topicReadyTimeoutMs?: number;
  /** @defaultValue 30_000 */
  readonly sessionTimeoutMs?: number;
  /** @defaultValue 3_000 */
  readonly heartbeatIntervalMs?: number;
  /** Longest a fetch waits on the broker for new data; also bounds how long close() waits for it. @defaultValue 500 */
  readonly maxWaitTimeMs?: number;
  /** @defaultValue 1_048_576 */
  readonly maxBytesPerPartition?: number;
}

export interface KafkaBusStats {
  /** Times a partition was paused because a subscription had too many unhandled messages. */
  readonly pauses: number;
  readonly resumes: number;
}

const INITIAL_RETRY_MS = 300;
const MAX_RETRY_MS = 5_000;
/** Between sends of one produce() after a retriable failure, until its deadline. */
const PRODUCE_RETRY: BackoffPolicy = Object.freeze({ baseMs: INITIAL_RETRY_MS, capMs: MAX_RETRY_MS, jitter: 'equal' });

const silent: Logger = {
  child: () => silent,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * The bus on Apache Kafka (kafkajs). Keys pick partitions with Java's murmur2, so other Kafka
 * clients agree on placement. Writes go through one idempotent producer (acks=all), one send at a
 * time: a send that failed with an unknown outcome could otherwise lend its sequence numbers to
 * the next one, and the broker would drop that one as a duplicate. When a send gives up the
 * producer is replaced, so a late success of the old one can only duplicate, never lose.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly #kafka: Kafka;
  readonly #log: Logger;
  readonly #produceTimeoutMs: number;
  readonly #maxBatchBytes: number;
  readonly #maxInFlight: number;
  readonly #topicReadyTimeoutMs: number;
  readonly #settings: KafkaSubscriptionSettings;
  readonly #counters: BackpressureCounters = { pauses: 0, resumes: 0 };
  readonly #subscriptions = new Set<KafkaSubscription>();
  readonly #topics: KafkaTopics;
  #producer: Promise<Producer> | undefined;
  #sends: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: KafkaBusOptions) {
    this.#log = options.logger ?? silent;
    this.#produceTimeoutMs = options.produceTimeoutMs ?? 30_000;
    this.#maxBatchBytes = options.maxBatchBytes ?? 524_288;
    this.#maxInFlight = options.maxInFlightRequests ?? 1;
    this.#topicReadyTimeoutMs = options.topicReadyTimeoutMs ?? 30_000;
    const highWaterMark = options.highWaterMark ?? 2_000;
    this.#settings = {
      highWaterMark,
      lowWaterMark: options.lowWaterMark ?? Math.min(500, Math.floor(highWaterMark / 4)),
      subscribeTimeoutMs: options.subscribeTimeoutMs ?? 30_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeMs: options.maxWaitTimeMs ?? 500,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
    };
    const problems = [
      options.brokers.length === 0 && 'brokers is empty',
      !(this.#maxInFlight >= 1 && this.#maxInFlight <= 5) && 'maxInFlightRequests must be 1..5 for the idempotent producer',
      !(this.#settings.lowWaterMark < highWaterMark) && 'lowWaterMark must be below highWaterMark',
    ].filter((p) => p !== false);
    if (problems.length > 0) throw new BusError(`invalid KafkaBus options: ${problems.join('; ')}`, { retriable: false });
    this.#kafka = new Kafka({
      clientId: options.clientId ?? 'streamforge',
      brokers: [...options.brokers],
      ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
      ...(options.sasl !== undefined ? { sasl: options.sasl } : {}),
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.#log),
      retry: { initialRetryTime: INITIAL_RETRY_MS, maxRetryTime: MAX_RETRY_MS, retries: 8 },
    });
    this.#topics = new KafkaTopics(this.#kafka, {
      defaultPartitions: options.defaultPartitions ?? 3,
      replicationFactor: options.replicationFactor ?? 1,
      timeoutMs: options.adminTimeoutMs ?? 15_000,
      readyTimeoutMs: this.#topicReadyTimeoutMs,
    });
  }

  /** Backpressure counters over all subscriptions of this bus. */
  get stats(): KafkaBusStats {
    return { ...this.#counters };
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return this.#topics.ensure(topics);
  }

  produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.#closed) return Promise.reject(new BusError('the Kafka bus is closed', { retriable: false }));
    if (messages.length === 0) return Promise.resolve();
    const deadline = Date.now() + this.#produceTimeoutMs;
    const remaining = () => {
      const ms = deadline - Date.now();
      if (ms <= 0) throw this.#timeout(topic);
      return ms;
    };
    // Waiting behind earlier sends and looking the topic up both count against the timeout.
    const send = async () => {
      await withTimeout(this.#topics.assertExists(topic), remaining(), () => this.#timeout(topic));
      // The broker refuses a record batch over message.max.bytes (1 MiB by default): send in slices, in order.
      for (const slice of byteSlices(messages, this.#maxBatchBytes)) await this.#sendUntilDeadline(topic, slice, remaining);
    };
    const run = this.#sends.then(send, send);
    this.#sends = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends one slice, again with a fresh producer after a retriable failure (kafkajs gives up on a
   * broker that is restarting after its own few retries), until the produce deadline.
   */
  async #sendUntilDeadline(topic: string, messages: readonly OutgoingMessage[], remaining: () => number): Promise<void> {
    const backoff = new Backoff(PRODUCE_RETRY);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#send(topic, messages, remaining());
        return;
      } catch (err) {
        if (this.#closed || !(err instanceof BusError) || !err.retriable) throw err;
        this.#log.warn({ err, topic, attempt }, 'produce failed; retrying with a fresh producer');
        await delay(Math.min(remaining(), backoff.next(Date.now()) ?? 0));
      }
    }
  }

  async #send(topic: string, messages: readonly OutgoingMessage[], timeoutMs: number): Promise<void> {
    const current = this.#connectedProducer();
    const attempt = current.then((producer) =>
      producer.send({ topic, acks: -1, messages: messages.map((m) => (m.headers === undefined ? { key: m.key, value: m.value } : { key: m.key, value: m.value, headers: { ...m.headers } })) }),
    );
    try {
      await withTimeout(attempt, timeoutMs, () => this.#timeout(topic));
    } catch (err) {
      // Unknown outcome: retire this producer (sequence numbers and all); the next send gets a fresh one.
      if (this.#producer === current) this.#producer = undefined;
      void attempt
        .catch(() => undefined)
        .then(() => current)
        .then((p) => p.disconnect())
        .catch(() => undefined);
      throw kafkaBusError(err, `produce to ${topic}`);
    }
  }

  #timeout(topic: string): BusError {
    return new BusError(`produce to ${topic} did not complete within ${this.#produceTimeoutMs} ms`, { retriable: true });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.#closed) throw new BusError('the Kafka bus is closed', { retriable: false });
    for (const t of options.topics) await this.#topics.assertExists(t);
    const startOffsets = options.fromBeginning ? new Map() : await this.#topics.endOffsetsOfUncommitted(options.groupId, options.topics);
    // Joining can fail transiently (the group coordinator moving, a topic's metadata not yet on every
    // broker): a failed member is closed and a fresh one tries again, within the topic-ready time.
    return untilDone(
      `subscribe ${options.groupId} to ${options.topics.join(', ')}`,
      async () => {
        if (this.#closed) throw new BusError('the Kafka bus is closed', { retriable: false });
        const sub: KafkaSubscription = new KafkaSubscription(this.#kafka, options, this.#settings, this.#counters, this.#log, () =>
          this.#subscriptions.delete(sub),
        );
        this.#subscriptions.add(sub);
        await sub.start(startOffsets);
        return sub;
      },
      { clock: systemClock, timeoutMs: this.#topicReadyTimeoutMs, retriableWhenLate: true },
    );
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.#topics.delete(topics);
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return this.#topics.deleteGroups(groupIds);
  }

  /** Through the admin client: each group's committed offsets against the partitions' ends. */
  async lag(): Promise<readonly PartitionLag[]> {
    if (this.#closed) return [];
    const groups = new Map<string, Set<string>>();
    for (const sub of this.#subscriptions) {
      const topics = groups.get(sub.groupId) ?? new Set<string>();
      for (const t of sub.topics) topics.add(t);
      groups.set(sub.groupId, topics);
    }
    return this.#topics.lag(groups);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.#sends;
    const clients = [this.#producer, this.#topics.release()].filter((c) => c !== undefined);
    this.#producer = undefined;
    await Promise.all(clients.map((c) => this.#disconnect(c)));
  }

  async #disconnect(client: Promise<Pick<Producer | Admin, 'disconnect'>>): Promise<void> {
    try {
      const connected = await client;
      await withTimeout(connected.disconnect(), this.#settings.closeTimeoutMs, () => new BusError('kafka client disconnect timed out'));
    } catch (err) {
      this.#log.warn({ err }, 'kafka client disconnect failed');
    }
  }

  #connectedProducer(): Promise<Producer> {
    if (this.#producer === undefined) {
      const producer = this.#kafka.producer({
        idempotent: true,
        maxInFlightRequests: this.#maxInFlight,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        // Bounded so a send gives up at about produceTimeoutMs instead of retrying forever.
        retry: { initialRetryTime: INITIAL_RETRY_MS, maxRetryTime: MAX_RETRY_MS, retries: retriesWithin(this.#produceTimeoutMs) },
      });
      const connected = connect(producer);
      this.#producer = connected;
      // A failed connect is forgotten, so the next call tries again.
      connected.catch(() => {
        if (this.#producer === connected) this.#producer = undefined;
      });
    }
    return this.#producer;
  }
}

async function connect(client: Producer): Promise<Producer> {
  try {
    await client.connect();
    return client;
  } catch (err) {
    throw kafkaBusError(err, 'connect to Kafka');
  }
}

/** kafkajs retry count whose backoff (initial 300 ms, doubling, capped at 5 s) adds up to about `ms`. */
export function retriesWithin(ms: number): number {
  let total = 0;
  let wait = INITIAL_RETRY_MS;
  let retries = 0;
  while (total < ms) {
    total += wait;
    wait = Math.min(wait * 2, MAX_RETRY_MS);
    retries += 1;
  }
  return Math.max(retries, 1);
}

/** Splits messages into consecutive slices whose keys and values add up to at most `maxBytes` (a bigger single message goes alone). */
export function byteSlices(messages: readonly OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const slices: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let size = 0;
  for (const m of messages) {
    // Record overhead (headers, varints, offsets) is a few dozen bytes; count it so slices stay under the limit.
    const bytes = Buffer.byteLength(m.value) + (m.key === null ? 0 : Buffer.byteLength(m.key)) + 64 + headerBytes(m.headers);
    if (current.length > 0 && size + bytes > maxBytes) {
      slices.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length > 0) slices.push(current);
  return slices;
}

function headerBytes(headers: OutgoingMessage['headers']): number {
  if (headers === undefined) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
  return n;
}
