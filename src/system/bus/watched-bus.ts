import type { Bus, Clock, OutgoingMessage, PartitionLag, SubscribeOptions, Subscription, TopicSpec } from '../../actors/ports/index.ts';

export interface WatchedBusOptions {
  readonly clock: Clock;
  /**
   * How long a consumer whose owner closed it after its failure still counts as down: the owner,
   * restarted by supervision, subscribes again within its restart backoff; one that gave up must not
   * keep the process unready for good. The longest restart backoff.
   */
  readonly resubscribeGraceMs: number;
}

interface Down {
  readonly since: number;
  closedAt: number | undefined;
}

/**
 * A bus that knows which of its consumers are down: a group whose subscription stopped on a failure
 * is down until a subscription of that group starts again (or, once the failed one was closed,
 * until {@link WatchedBusOptions.resubscribeGraceMs} passed). Readiness answers 503 meanwhile.
 */
export class WatchedBus implements Bus {
  readonly #bus: Bus;
  readonly #options: WatchedBusOptions;
  readonly #down = new Map<string, Down>();

  constructor(bus: Bus, options: WatchedBusOptions) {
    this.#bus = bus;
    this.#options = options;
  }

  get kind(): Bus['kind'] {
    return this.#bus.kind;
  }

  /** Groups whose consumer is down now, longest down first. */
  downGroups(): string[] {
    const now = this.#options.clock.now();
    for (const [group, down] of this.#down) {
      if (down.closedAt !== undefined && now - down.closedAt >= this.#options.resubscribeGraceMs) this.#down.delete(group);
    }
    return [...this.#down].sort((a, b) => a[1].since - b[1].since).map(([group]) => group);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const { groupId } = options;
    let mark: Down | undefined;
    const sub = await this.#bus.subscribe({
      ...options,
      onError: (err) => {
        mark = { since: this.#options.clock.now(), closedAt: undefined };
        this.#down.set(groupId, mark);
        options.onError(err);
      },
    });
    // Up again: an earlier subscription's failure no longer counts (this one's, if it failed already, does).
    if (this.#down.get(groupId) !== mark) this.#down.delete(groupId);
    return {
      close: async () => {
        await sub.close();
        if (mark !== undefined && this.#down.get(groupId) === mark) mark.closedAt = this.#options.clock.now();
      },
    };
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    return this.#bus.ensureTopics(topics);
  }

  produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return this.#bus.produce(topic, messages);
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.#bus.deleteTopics(topics);
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return this.#bus.deleteGroups(groupIds);
  }

  lag(): Promise<readonly PartitionLag[]> {
    return this.#bus.lag();
  }

  close(): Promise<void> {
    return this.#bus.close();
  }
}
