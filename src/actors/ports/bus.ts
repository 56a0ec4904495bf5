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
  /** Called once when the subscription stops because the handler or the bus failed. */
  readonly onError?: (err: unknown) => void;
  /** @defaultValue 500 */
  readonly maxBatchSize?: number;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface Bus {
  readonly kind: 'embedded' | 'kafka';
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Resolves once the messages are durable on the bus. */
  produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
