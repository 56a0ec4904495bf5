import type { Consumer, EachBatchPayload, IMemberAssignment, Kafka, KafkaMessage } from 'kafkajs';
import type { BusMessage, Logger, SubscribeOptions, Subscription } from '../../actors/ports/index.ts';
import { BusError } from '../../protocol/index.ts';
import { kafkaBusError } from './kafka-bus-error.ts';
import { withTimeout } from './with-timeout.ts';

/** Per topic, per partition: the offset a new group starts at. */
export type StartOffsets = ReadonlyMap<string, ReadonlyMap<number, string>>;

/** Counters shared by all subscriptions of one bus. */
export interface BackpressureCounters {
  pauses: number;
  resumes: number;
}

/** @internal Settings KafkaBus resolves once and hands every subscription. */
export interface KafkaSubscriptionSettings {
  readonly highWaterMark: number;
  readonly lowWaterMark: number;
  readonly subscribeTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  readonly maxBytesPerPartition: number;
}

/**
 * One consumer-group member. Offsets are committed per handler call, after it resolved; a handler
 * failure commits nothing, stops the member and reports through `onError`. kafkajs already awaits
 * eachBatch before its next fetch from that broker; on top of that a partition whose delivered but
 * unhandled messages exceed the high-water mark is paused until they drop to the low one.
 */
export class KafkaSubscription implements Subscription {
  readonly #options: SubscribeOptions;
  readonly #settings: KafkaSubscriptionSettings;
  readonly #counters: BackpressureCounters;
  readonly #log: Logger;
  readonly #consumer: Consumer;
  readonly #stopped = new AbortController();
  readonly #onClosed: () => void;
  #open: () => void = () => undefined;
  /** Handlers wait for this: the start offsets of a new group are committed before any batch is. */
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));
  #failStart: (err: Error) => void = () => undefined;
  readonly #fatal = new Promise<never>((_, reject) => (this.#failStart = reject));
  #inFlight = 0;
  #running = false;
  #shutdown: Promise<void> | undefined;

  constructor(kafka: Kafka, options: SubscribeOptions, settings: KafkaSubscriptionSettings, counters: BackpressureCounters, log: Logger, onClosed: () => void) {
    this.#options = options;
    this.#settings = settings;
    this.#counters = counters;
    this.#log = log.child({ groupId: options.groupId });
    this.#onClosed = onClosed;
    this.#fatal.catch(() => undefined);
    this.#consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      maxWaitTimeInMs: settings.maxWaitTimeMs,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      allowAutoTopicCreation: false,
      // A crash with a retriable cause (broker gone, coordinator moved) restarts the member.
      retry: { restartOnFailure: () => Promise.resolve(!this.#stopped.signal.aborted) },
    });
  }

  /** Resolves once the member has joined the group and has its partitions. */
  async start(startOffsets: StartOffsets): Promise<void> {
    const consumer = this.#consumer;
    const joined = new Promise<IMemberAssignment>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, (e) => resolve(e.payload.memberAssignment));
    });
    consumer.on(consumer.events.CRASH, (e) => this.#crashed(e.payload.error, e.payload.restart));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.#options.topics], fromBeginning: this.#options.fromBeginning });
      const running = consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
      // A new group's position, pinned before its first fetch (kafkajs resolves "latest" only then, so a
      // message produced right after subscribe() could be skipped). run() creates the group at once, and
      // seeks queued now apply to the assigned partitions before the first fetch, as kafkajs' own
      // admin.setOffsets does — without its wait for a fetch (5 s per new group).
      for (const [topic, partitions] of startOffsets) {
        for (const [partition, offset] of partitions) consumer.seek({ topic, partition, offset });
      }
      await running;
      const assignment = await withTimeout(
        Promise.race([joined, this.#fatal]),
        this.#settings.subscribeTimeoutMs,
        () => new BusError(`group ${this.#options.groupId} did not join within ${this.#settings.subscribeTimeoutMs} ms`, { retriable: true }),
      );
      await this.#commitStart(startOffsets, assignment);
      this.#running = true;
      this.#open();
    } catch (err) {
      await this.close();
      throw kafkaBusError(err, `subscribe ${this.#options.groupId} to ${this.#options.topics.join(', ')}`);
    }
  }

  /**
   * kafkajs takes a new group's position ("latest") only at its first fetch, after the join, so a
   * message produced right after subscribe() could be skipped. Committing the end offsets read
   * before the join pins the position, as the embedded bus does at subscribe time.
   */
  async #commitStart(startOffsets: StartOffsets, assignment: IMemberAssignment): Promise<void> {
    const commits = Object.entries(assignment).flatMap(([topic, partitions]) =>
      partitions.flatMap((partition) => {
        const offset = startOffsets.get(topic)?.get(partition);
        return offset === undefined ? [] : [{ topic, partition, offset }];
      }),
    );
    if (commits.length === 0) return;
    try {
      await this.#consumer.commitOffsets(commits);
    } catch (err) {
      this.#log.warn({ err }, 'could not commit the start offsets of a new group');
    }
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    if (this.#stopped.signal.aborted || !(await this.#untilStopped(this.#gate))) return;
    const { topic, partition } = payload.batch;
    const messages = payload.batch.messages.map((m) => toBusMessage(topic, partition, m));
    const max = this.#options.maxBatchSize ?? 500;
    let pending = messages.length;
    this.#inFlight += pending;
    let resume: (() => void) | undefined;
    if (this.#inFlight > this.#settings.highWaterMark) {
      resume = payload.pause();
      this.#counters.pauses += 1;
    }
    try {
      for (let i = 0; i < messages.length; i += max) {
        if (this.#stopped.signal.aborted || !payload.isRunning() || payload.isStale()) return;
        const chunk = messages.slice(i, i + max);
        const last = chunk.at(-1);
        if (last === undefined || !(await this.#handle(chunk, payload))) return;
        pending -= chunk.length;
        this.#inFlight -= chunk.length;
        if (resume !== undefined && this.#inFlight <= this.#settings.lowWaterMark) {
          resume();
          resume = undefined;
          this.#counters.resumes += 1;
        }
        payload.resolveOffset(last.offset);
        // Not retried here: a failed commit (rebalance, broker gone) goes back to kafkajs, which
        // rejoins or restarts; the uncommitted messages are delivered again (at least once).
        await payload.commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
        });
        if (!this.#stopped.signal.aborted) await payload.heartbeat();
      }
    } finally {
      this.#inFlight -= pending;
      if (resume !== undefined) {
        resume();
        this.#counters.resumes += 1;
      }
    }
  }

  /** True once the handler resolved; false if it failed (the subscription stops) or close() came first. */
  async #handle(chunk: readonly BusMessage[], payload: EachBatchPayload): Promise<boolean> {
    // kafkajs heartbeats only between batches; keep the session alive through a slow handler.
    const beat = setInterval(() => {
      payload.heartbeat().catch((err: unknown) => this.#log.debug({ err }, 'heartbeat during a handler call failed'));
    }, this.#settings.heartbeatIntervalMs);
    try {
      return await this.#untilStopped((async () => this.#options.handler(chunk))());
    } catch (err) {
      this.#stop(err);
      return false;
    } finally {
      clearInterval(beat);
    }
  }

  /** Waits for `work`, but lets a stop end the wait even while a handler hangs. */
  #untilStopped(work: Promise<void>): Promise<boolean> {
    const signal = this.#stopped.signal;
    return new Promise<boolean>((resolve, reject) => {
      const onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(() => resolve(true), reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  #crashed(error: Error, restart: boolean): void {
    if (this.#stopped.signal.aborted) return;
    if (restart) {
      this.#log.warn({ err: error }, 'consumer crashed; restarting it');
      return;
    }
    const err = kafkaBusError(error, `consumer of group ${this.#options.groupId} stopped`);
    // Before subscribe() resolved the failure is its rejection; after, it goes to onError.
    if (this.#running) this.#stop(err);
    else this.#failStart(err);
  }

  /** Stops for good after a failure: commit nothing more, report once, leave the group. */
  #stop(err: unknown): void {
    if (this.#stopped.signal.aborted) return;
    this.#stopped.abort();
    this.#log.warn({ err }, 'subscription stopped');
    try {
      this.#options.onError(err);
    } catch (callbackErr) {
      this.#log.error({ err: callbackErr }, 'onError callback threw');
    }
    // Not awaited: this runs inside eachBatch, and disconnect() waits for eachBatch to return.
    void this.#disconnect();
  }

  #disconnect(): Promise<void> {
    this.#shutdown ??= withTimeout(
      this.#consumer.disconnect(),
      this.#settings.closeTimeoutMs,
      () => new BusError(`consumer of group ${this.#options.groupId} did not disconnect within ${this.#settings.closeTimeoutMs} ms`),
    )
      .catch((err: unknown) => this.#log.warn({ err }, 'consumer disconnect failed'))
      .finally(this.#onClosed);
    return this.#shutdown;
  }

  get groupId(): string {
    return this.#options.groupId;
  }

  get topics(): readonly string[] {
    return this.#options.topics;
  }

  async close(): Promise<void> {
    this.#stopped.abort();
    await this.#disconnect();
  }
}

function toBusMessage(topic: string, partition: number, m: KafkaMessage): BusMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null ? null : m.key.toString('utf8'),
    value: m.value === null ? '' : m.value.toString('utf8'),
    timestamp: Number(m.timestamp),
  };
}
