import { combinedFrame } from './live-events.ts';
import type { StreamSpec } from './stream-name.ts';

/** A connection as the hub sees it. */
export interface Subscriber {
  /** Combined connections get `{"stream", "data"}` frames, raw ones the bare payload. */
  readonly combined: boolean;
  /** Sends one text frame (the same buffer goes to every subscriber). */
  sendFrame(frame: Buffer): void;
}

/** One stream name and its subscribers. */
export class Topic {
  readonly name: string;
  readonly spec: StreamSpec;
  readonly raw = new Set<Subscriber>();
  readonly combined = new Set<Subscriber>();
  /** Kline streams: the simulator second of the last open-kline update sent. */
  lastUpdateSecond = Number.NEGATIVE_INFINITY;

  constructor(name: string, spec: StreamSpec) {
    this.name = name;
    this.spec = spec;
  }

  get size(): number {
    return this.raw.size + this.combined.size;
  }

  /** Sends one event to every subscriber, serialised once per framing. */
  publish(payload: string): void {
    if (this.raw.size > 0) {
      const frame = Buffer.from(payload, 'utf8');
      for (const sub of this.raw) sub.sendFrame(frame);
    }
    if (this.combined.size > 0) {
      const frame = Buffer.from(combinedFrame(this.name, payload), 'utf8');
      for (const sub of this.combined) sub.sendFrame(frame);
    }
  }
}

/** Who listens to which stream; topics exist only while they have subscribers. */
export class StreamHub {
  readonly #topics = new Map<string, Topic>();
  #subscriptions = 0;

  subscribe(sub: Subscriber, name: string, spec: StreamSpec): void {
    let topic = this.#topics.get(name);
    if (topic === undefined) {
      topic = new Topic(name, spec);
      this.#topics.set(name, topic);
    }
    const set = sub.combined ? topic.combined : topic.raw;
    if (!set.has(sub)) {
      set.add(sub);
      this.#subscriptions += 1;
    }
  }

  unsubscribe(sub: Subscriber, name: string): void {
    const topic = this.#topics.get(name);
    if (topic === undefined) return;
    if (topic.raw.delete(sub) || topic.combined.delete(sub)) this.#subscriptions -= 1;
    if (topic.size === 0) this.#topics.delete(name);
  }

  topic(name: string): Topic | undefined {
    return this.#topics.get(name);
  }

  topics(): IterableIterator<Topic> {
    return this.#topics.values();
  }

  /** Subscriptions over all connections. */
  get subscriptions(): number {
    return this.#subscriptions;
  }
}
