import { unixSeconds } from '../../protocol/index.ts';
import type { EventStatus, PingCommand, StartCommand, TelemetryEvent } from '../../protocol/index.ts';
import type { Bus, Clock } from '../ports/index.ts';

export type TelemetryFields = Omit<Partial<TelemetryEvent>, 'queue_id' | 'producer' | 'status' | 'timestamp'>;

/** Publishes a stage's telemetry on `queue-events`, keyed by queue id (one partition per workflow, in order). */
export class Telemetry {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #topic: string;
  readonly #command: StartCommand;

  constructor(bus: Bus, clock: Clock, topic: string, command: StartCommand) {
    this.#bus = bus;
    this.#clock = clock;
    this.#topic = topic;
    this.#command = command;
  }

  async publish(status: EventStatus, fields: TelemetryFields = {}): Promise<void> {
    const event: TelemetryEvent = {
      queue_id: this.#command.queue_id,
      producer: this.#command.telemetry_id,
      symbol: this.#command.symbol,
      type: this.#command.type,
      status,
      ...fields,
      ...(this.#command.generation !== undefined ? { generation: this.#command.generation } : {}),
      timestamp: unixSeconds(this.#clock.now()),
    };
    await this.#bus.produce(this.#topic, [{ key: event.queue_id, value: JSON.stringify(event) }]);
  }

  /** Answers a `ping` as the contract says: `pong` with the ping's `sent_at` as `ping_ts`. */
  async pong(ping: PingCommand): Promise<void> {
    await this.publish('pong', { ping_ts: ping.sent_at, ponged_at: unixSeconds(this.#clock.now()) });
  }
}
