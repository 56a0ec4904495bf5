import { deadLetterTopicOf, isEndOfStream, parseJsonOrUndefined, parseStreamType, parseTimeRangeText, seriesOf, ErrorCodes, unixSeconds, ValidationError } from '../../protocol/index.ts';
import type { DeadLetter, EndOfStream, PingCommand, SeriesSpec, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { BusMessage, Logger, StoredDocument } from '../ports/index.ts';
import { Telemetry } from '../stage/telemetry.ts';
import type { StageDeps } from '../stage/stage-deps.ts';

/** What a batch did: the stream goes on, or its end marker arrived and the stage reported its outcome. */
export type WriteOutcome = 'continue' | 'ended';

/**
 * Writes one workflow's data records into its collection: batched idempotent upserts under each record
 * kind's deterministic key (candles by open time, trades by id, depth by update id), schema rejects to
 * the dead-letter topic with the reason, and `finished` only after the end marker arrived and the
 * collection holds every record the loader sent. Used by a workflow's own connector and by the pool.
 */
export class SeriesWriter {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #log: Logger;
  readonly #telemetry: Telemetry;
  readonly #range: TimeRange;
  readonly #series: SeriesSpec;
  #written = 0;
  #lastProgressAt = 0;
  #announced = false;

  constructor(deps: StageDeps, command: StartCommand, log: Logger) {
    this.#deps = deps;
    this.#cmd = command;
    this.#log = log;
    const range = parseTimeRangeText(command.time_range);
    if (!range) throw new ValidationError(`invalid time_range ${command.time_range}`);
    const type = parseStreamType(command.type);
    if (!type) throw new ValidationError(`unknown type ${command.type}`);
    this.#range = range;
    this.#series = seriesOf(type);
    this.#telemetry = new Telemetry(deps.bus, deps.clock, deps.settings.eventsTopic, command);
  }

  get command(): StartCommand {
    return this.#cmd;
  }

  get written(): number {
    return this.#written;
  }

  /** Whether this writer said `started`: at open, or (`announce: 'on-first-batch'`) once a batch reached it. */
  get announced(): boolean {
    return this.#announced;
  }

  /**
   * Creates the collection and the dead-letter topic, counts what is already stored, and reports
   * `started` — at once, or with `'on-first-batch'` when the first batch arrives: a connector-pool
   * member speaks for a workflow only once the bus gave it that workflow's data, so the members that
   * were not assigned its partition stay silent.
   */
  async open(announce: 'at-open' | 'on-first-batch' = 'at-open'): Promise<void> {
    const { store, bus } = this.#deps;
    await store.ensureCollection(this.#cmd.collection_name, { sortField: this.#series.sortField });
    await bus.ensureTopics([{ name: this.deadLetterTopic(), partitions: 1 }]);
    await this.#recount();
    if (announce === 'at-open') await this.#announce();
  }

  async #recount(): Promise<void> {
    this.#written = await this.#deps.store.count(this.#cmd.collection_name, { from: this.#range.fromMs, to: this.#range.toMs });
  }

  async #announce(): Promise<void> {
    await this.#telemetry.publish('started', { message: `Writing to ${this.#cmd.collection_name}`, records_written: this.#written });
    // Only once it went out: a failed publish fails the batch, whose redelivery says it again.
    this.#announced = true;
  }

  async write(messages: readonly BusMessage[]): Promise<WriteOutcome> {
    const { store, bus, metrics, clock } = this.#deps;
    if (!this.#announced) {
      // Opened long ago, perhaps: another member may have written since, and `started` carries the count.
      await this.#recount();
      await this.#announce();
    }
    const docs: StoredDocument[] = [];
    const dead: DeadLetter[] = [];
    let end: EndOfStream | undefined;
    for (const m of messages) {
      const parsed = this.#series.message.safeParse(parseJsonOrUndefined(m.value));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const reason = `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`;
        dead.push({
          queue_id: this.#cmd.queue_id,
          source_topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          error: { code: ErrorCodes.PROTOCOL, message: `record failed its schema: ${reason}`, retriable: false },
          timestamp: unixSeconds(clock.now()),
        });
        continue;
      }
      const record = parsed.data;
      if (isEndOfStream(record)) end = record;
      else docs.push({ _key: this.#series.key(record), ...record });
    }
    if (docs.length > 0) {
      await store.upsert(this.#cmd.collection_name, docs);
      metrics.recordsWritten('connector', docs.length);
      this.#written += docs.length;
    }
    if (dead.length > 0) {
      await bus.produce(this.deadLetterTopic(), dead.map((d) => ({ key: d.queue_id, value: JSON.stringify(d) })));
      for (const _ of dead) metrics.deadLettered('schema');
      for (const _ of dead) metrics.messageRejected('data_schema');
      this.#log.warn({ queue_id: this.#cmd.queue_id, count: dead.length, first: dead[0]?.error.message }, 'records dead-lettered');
    }
    if (end) {
      await this.#end(end);
      return 'ended';
    }
    // A short batch means the connector caught up: report it now, so nobody takes a quiet connector for a stalled one.
    await this.#progress(messages.length < this.#deps.settings.connectorBatchSize);
    return 'continue';
  }

  async interrupted(): Promise<void> {
    // A pool member may have written nothing of this workflow, or not lately: the count is the store's, not its own.
    await this.#recount();
    await this.#telemetry.publish('interrupted', { message: 'Stopped on request', records_written: this.#written });
  }

  async pong(ping: PingCommand): Promise<void> {
    await this.#telemetry.pong(ping);
  }

  deadLetterTopic(): string {
    return deadLetterTopicOf(this.#cmd.kafka_topic);
  }

  async #end(end: EndOfStream): Promise<void> {
    const stored = await this.#deps.store.count(this.#cmd.collection_name, { from: this.#range.fromMs, to: this.#range.toMs });
    this.#written = stored;
    if (stored < end.records) {
      const error = { code: ErrorCodes.STAGE_FAILED, message: `loader sent ${end.records} records but only ${stored} are stored`, retriable: false };
      await this.#telemetry.publish('error', { message: error.message, error, records_written: stored });
      return;
    }
    await this.#telemetry.publish('finished', {
      message: `Saved ${end.records} records`,
      records_written: end.records,
      expected_records: end.records,
      finished: true,
    });
  }

  async #progress(caughtUp: boolean): Promise<void> {
    const now = this.#deps.clock.now();
    if (!caughtUp && now - this.#lastProgressAt < (this.#deps.settings.progressIntervalMs ?? 1000)) return;
    this.#lastProgressAt = now;
    await this.#telemetry.publish('loading', { message: `Saved ${this.#written} records`, records_written: this.#written });
  }
}
