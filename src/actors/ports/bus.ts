/** The message bus as actors see it: Kafka in production, the embedded bus by default. */
export interface BusMessage {
  readonly topic: string;
  readonly partition: number;
  /** Kafka-style offset, a decimal string. */
  readonly offset: string;
  readonly key: string | null;
  readonly value: string;
  readonly timestamp: number;
}

export interface OutgoingMessage {
  readonly key: string | null;
  readonly value: string;
  /**
   * Kafka record headers (`sf-format: batch`, `sf-count`), for consumers outside StreamForge. The
   * embedded bus does not keep them: what StreamForge reads must be told by the value alone.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TopicSpec {
  readonly name: string;
  /** @defaultValue the bus's configured default */
  readonly partitions?: number;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed offset starts: the earliest message, or only new ones. */
  readonly fromBeginning: boolean;
  /**
   * Called with a batch from one partition. Offsets are committed only after it resolves;
   * if it throws, nothing of the batch is committed and the subscription stops.
   */
  readonly handler: (batch: readonly BusMessage[]) => Promise<void>;
  /**
   * Called once when the subscription stops because the handler or the bus failed. Required: a
   * consumer that stops must not go unnoticed; an actor fails with the error (`ctx.fail`), so its
   * supervisor restarts it and the process reports not ready meanwhile.
   */
  readonly onError: (err: unknown) => void;
  /** @defaultValue 500 */
  readonly maxBatchSize?: number;
}

export interface Subscription {
  close(): Promise<void>;
}

/** How far one consumer group is behind on one partition of one topic. */
export interface PartitionLag {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  /** Messages after the group's committed offset, up to the partition's end. */
  readonly lag: number;
}

export interface Bus {
  readonly kind: 'embedded' | 'kafka';
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Resolves once the messages are durable on the bus. */
  produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Deletes the topics that exist, with their messages and the groups' offsets on them. */
  deleteTopics(topics: readonly string[]): Promise<void>;
  /**
   * Deletes consumer groups with their committed offsets, on every topic; missing ones are fine.
   * A group must have no running member (Kafka refuses one that has: a retriable BusError).
   */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  /**
   * The lag of every group this bus has a running subscription for, on every partition of its
   * topics, read from the groups' committed offsets (so every member of a shared group reports the
   * whole group's lag).
   */
  lag(): Promise<readonly PartitionLag[]>;
  close(): Promise<void>;
}
