import { isEndOfStream, parseJsonOrUndefined, parseStreamType, parseTimeRangeText, seriesOf, ErrorCodes, unixSeconds, ValidationError, assertNever } from '../../protocol/index.ts';
import type { DeadLetter, EndOfStream, PingCommand, SeriesSpec, StartCommand, TimeRange } from '../../protocol/index.ts';
import type { ActorContext, Behaviour, BusMessage, StoredDocument, Subscription } from '../ports/index.ts';
import { listenForStageControl } from '../stage/control-listener.ts';
import { Telemetry } from '../stage/telemetry.ts';
import type { StageDeps } from '../stage/stage-deps.ts';

export type ConnectorMessage =
  | { readonly type: 'batch'; readonly messages: readonly BusMessage[]; readonly done: (err?: unknown) => void; readonly incarnation: number }
  | { readonly type: 'stop' }
  | { readonly type: 'ping'; readonly ping: PingCommand };

let incarnations = 0;

/**
 * Writes a workflow's data topic into its collection: batched idempotent upserts under each record
 * kind's deterministic key (candles by open time, trades by id, depth by update id), offsets committed by the bus only after the batch is durable,
 * schema rejects to the dead-letter topic with the reason. Reports `finished` only after the end
 * marker arrived and the collection holds every record the loader sent.
 */
export class SeriesConnector implements Behaviour<ConnectorMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<ConnectorMessage>;
  readonly #telemetry: Telemetry;
  readonly #range: TimeRange;
  readonly #series: SeriesSpec;
  readonly #incarnation = ++incarnations;
  readonly #pending = new Set<(err?: unknown) => void>();
  #data: Subscription | undefined;
  #control: Subscription | undefined;
  #written = 0;
  #lastProgressAt = 0;
  #stopped = false;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<ConnectorMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    const range = parseTimeRangeText(command.time_range);
    if (!range) throw new ValidationError(`invalid time_range ${command.time_range}`);
    const type = parseStreamType(command.type);
    if (!type) throw new ValidationError(`unknown type ${command.type}`);
    this.#range = range;
    this.#series = seriesOf(type);
    this.#telemetry = new Telemetry(deps.bus, deps.clock, deps.settings.eventsTopic, command);
  }

  async start(): Promise<void> {
    const { bus, store, settings, metrics } = this.#deps;
    await store.ensureCollection(this.#cmd.collection_name, { sortField: this.#series.sortField });
    await bus.ensureTopics([{ name: this.#deadLetterTopic(), partitions: 1 }]);
    this.#written = await store.count(this.#cmd.collection_name, { from: this.#range.fromMs, to: this.#range.toMs });
    this.#control = await listenForStageControl({
      bus: bus,
      topic: settings.controlTopic,
      telemetryId: this.#cmd.telemetry_id,
      queueId: this.#cmd.queue_id,
      log: this.#ctx.log,
      metrics: metrics,
      self: this.#ctx.self,
    });
    await this.#telemetry.publish('started', { message: `Writing to ${this.#cmd.collection_name}`, records_written: this.#written });
    this.#data = await bus.subscribe({
      groupId: `streamforge-connector-${this.#cmd.queue_id}`,
      topics: [this.#cmd.kafka_topic],
      fromBeginning: true,
      maxBatchSize: settings.connectorBatchSize,
      // Through the mailbox, so a batch is one actor message; the bus commits when it resolves.
      handler: (messages) =>
        new Promise<void>((resolve, reject) => {
          const done = (err?: unknown) => {
            this.#pending.delete(done);
            if (err === undefined) resolve();
            else reject(err instanceof Error ? err : new Error('batch failed', { cause: err }));
          };
          this.#pending.add(done);
          this.#ctx.self.tell({ type: 'batch', messages, done, incarnation: this.#incarnation });
        }),
      onError: (err) => this.#ctx.log.warn({ err }, 'data subscription stopped'),
    });
  }

  async receive(message: ConnectorMessage): Promise<void> {
    switch (message.type) {
      case 'batch':
        if (message.incarnation !== this.#incarnation || this.#stopped) {
          message.done(new Error('batch from an earlier incarnation'));
          return;
        }
        await this.#batch(message.messages);
        message.done();
        return;
      case 'stop':
        if (this.#stopped) return;
        this.#stopped = true;
        await this.#telemetry.publish('interrupted', { message: 'Stopped on request', records_written: this.#written });
        this.#ctx.stopSelf();
        return;
      case 'ping':
        await this.#telemetry.pong(message.ping);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    for (const done of [...this.#pending]) done(new Error('connector stopped'));
    await this.#data?.close();
    await this.#control?.close();
  }

  async #batch(messages: readonly BusMessage[]): Promise<void> {
    const { store, bus, metrics, clock } = this.#deps;
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
      await bus.produce(this.#deadLetterTopic(), dead.map((d) => ({ key: d.queue_id, value: JSON.stringify(d) })));
      for (const _ of dead) metrics.deadLettered('schema');
      for (const _ of dead) metrics.messageRejected('data_schema');
      this.#ctx.log.warn({ count: dead.length, first: dead[0]?.error.message }, 'records dead-lettered');
    }
    if (end) await this.#end(end);
    // A short batch means the connector caught up: report it now, so nobody takes a quiet connector for a stalled one.
    else await this.#progress(messages.length < this.#deps.settings.connectorBatchSize);
  }

  async #end(end: EndOfStream): Promise<void> {
    const stored = await this.#deps.store.count(this.#cmd.collection_name, { from: this.#range.fromMs, to: this.#range.toMs });
    this.#written = stored;
    if (stored < end.records) {
      const error = { code: ErrorCodes.STAGE_FAILED, message: `loader sent ${end.records} records but only ${stored} are stored`, retriable: false };
      await this.#telemetry.publish('error', { message: error.message, error, records_written: stored });
    } else {
      await this.#telemetry.publish('finished', {
        message: `Saved ${end.records} records`,
        records_written: end.records,
        expected_records: end.records,
        finished: true,
      });
    }
    this.#stopped = true;
    this.#ctx.stopSelf();
  }

  async #progress(caughtUp: boolean): Promise<void> {
    const now = this.#deps.clock.now();
    if (!caughtUp && now - this.#lastProgressAt < (this.#deps.settings.progressIntervalMs ?? 1000)) return;
    this.#lastProgressAt = now;
    await this.#telemetry.publish('loading', { message: `Saved ${this.#written} records`, records_written: this.#written });
  }

  #deadLetterTopic(): string {
    return `${this.#cmd.kafka_topic}-dlq`;
  }
}

