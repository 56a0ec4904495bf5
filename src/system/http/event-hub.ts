import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { parseJsonOrUndefined, TelemetryEvent } from '../../protocol/index.ts';
import type { Workflow } from '../../protocol/index.ts';
import type { Bus, Clock, Subscription, Timer } from '../../actors/index.ts';
import type { WorkflowChanges } from '../manager/index.ts';

/** What `GET /events` streams: a stage's telemetry as it came from `queue-events`, or a workflow as saved. */
export const StreamEventKinds = ['telemetry', 'workflow'] as const;
export type StreamEventKind = (typeof StreamEventKinds)[number];

export interface StreamEvent {
  /** `<epoch>-<seq>`: the hub's epoch (one per process) and a sequence number counting from 1. */
  readonly id: string;
  readonly seq: number;
  readonly kind: StreamEventKind;
  readonly queueId: string;
  /** The payload as JSON, serialised once for every client. */
  readonly data: string;
}

/** Where a reconnecting client resumes: after these events, or nowhere (the events it missed are gone). */
export type Resume = { readonly ok: true; readonly events: readonly StreamEvent[] } | { readonly ok: false; readonly reason: string };

export interface EventHubOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly topic: string;
  readonly changes: WorkflowChanges;
  /** Events kept for `Last-Event-ID` (`EVENTS_REPLAY_SIZE`). */
  readonly replaySize: number;
  /** Wait before subscribing again after the subscription stopped. @defaultValue 1000 */
  readonly resubscribeMs?: number;
}

/**
 * One reader of `queue-events` per process for every console and event stream: each telemetry event
 * and each workflow the manager saves gets the next sequence number, is kept in a ring of the last
 * `replaySize`, and is handed to every listener. A reconnecting client names the last id it saw and
 * is given what followed from the ring; when that is no longer there (evicted, or another process
 * numbered it) it is told so, to read the workflows again, rather than silently missing events.
 */
export class EventHub {
  readonly epoch = randomBytes(4).toString('hex');
  readonly #options: EventHubOptions;
  readonly #ring: (StreamEvent | undefined)[];
  readonly #listeners = new Set<(event: StreamEvent) => void>();
  #seq = 0;
  #subscription: Subscription | undefined;
  #retry: Timer | undefined;
  #stopListening: (() => void) | undefined;
  #closed = false;

  constructor(options: EventHubOptions) {
    this.#options = options;
    this.#ring = new Array<StreamEvent | undefined>(options.replaySize);
  }

  /** Listens to the manager's saves and subscribes to the telemetry (its own group, new events only). */
  async start(): Promise<void> {
    this.#stopListening = this.#options.changes.listen((wf: Workflow) => this.publish('workflow', wf.queue_id, wf));
    // A bus that is down now does not keep the server from starting: the stream catches up once it is back.
    await this.#subscribe().catch((err: unknown) => {
      this.#options.log.error({ err }, 'event stream subscription failed');
      this.#resubscribeLater();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#retry?.cancel();
    this.#stopListening?.();
    this.#listeners.clear();
    await this.#subscription?.close();
  }

  /** The id of the last event, or undefined before the first. */
  get lastId(): string | undefined {
    return this.#seq === 0 ? undefined : `${this.epoch}-${this.#seq}`;
  }

  /** Numbers, keeps and hands out one event. */
  publish(kind: StreamEventKind, queueId: string, payload: unknown): void {
    const seq = ++this.#seq;
    const event: StreamEvent = { id: `${this.epoch}-${seq}`, seq, kind, queueId, data: JSON.stringify(payload) };
    this.#ring[seq % this.#ring.length] = event;
    for (const listener of this.#listeners) listener(event);
  }

  /** Calls `listener` with every event from now on; returns what stops it. */
  listen(listener: (event: StreamEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The events after `lastEventId` (a `Last-Event-ID` header), when they are all still kept. */
  after(lastEventId: string): Resume {
    const match = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId.trim());
    if (match?.[1] !== this.epoch) {
      return { ok: false, reason: `event id ${JSON.stringify(lastEventId)} is not from this server's current run: read the workflows again` };
    }
    const last = Number(match[2]);
    if (last > this.#seq) return { ok: false, reason: `event id ${JSON.stringify(lastEventId)} is ahead of the last event sent` };
    const oldest = Math.max(1, this.#seq - this.#ring.length + 1);
    if (last + 1 < oldest) {
      return { ok: false, reason: `the ${oldest - last - 1} events after ${lastEventId} are no longer kept (EVENTS_REPLAY_SIZE ${this.#ring.length}): read the workflows again` };
    }
    const events: StreamEvent[] = [];
    for (let seq = last + 1; seq <= this.#seq; seq++) {
      const event = this.#ring[seq % this.#ring.length];
      if (event !== undefined) events.push(event);
    }
    return { ok: true, events };
  }

  async #subscribe(): Promise<void> {
    const { bus, topic, log } = this.#options;
    await bus.ensureTopics([{ name: topic }]);
    this.#subscription = await bus.subscribe({
      // Its own group per process: every console sees every event, none takes them from the manager.
      groupId: `streamforge-console-${this.epoch}`,
      topics: [topic],
      fromBeginning: false,
      handler: (batch) => {
        for (const m of batch) {
          const parsed = TelemetryEvent.safeParse(parseJsonOrUndefined(m.value));
          // The manager counts and logs rejected events already; a stream only skips them.
          if (parsed.success && parsed.data.status !== 'pong') this.publish('telemetry', parsed.data.queue_id, parsed.data);
        }
        return Promise.resolve();
      },
      onError: (err) => {
        log.error({ err, topic }, 'event stream subscription stopped; subscribing again');
        this.#subscription = undefined;
        this.#resubscribeLater();
      },
    });
  }

  #resubscribeLater(): void {
    if (this.#closed) return;
    this.#retry = this.#options.clock.setTimeout(() => {
      if (this.#closed) return;
      this.#subscribe().catch((err: unknown) => {
        this.#options.log.error({ err }, 'event stream subscription failed');
        this.#resubscribeLater();
      });
    }, this.#options.resubscribeMs ?? 1_000);
  }
}
