import { assertNever, toErrorInfo } from '../../protocol/index.ts';
import type { EndOfStream, StartCommand } from '../../protocol/index.ts';
import { BinanceRestClient } from '../exchange/index.ts';
import type { ActorContext, Subscription } from '../ports/index.ts';
import { listenForStageControl } from './control-listener.ts';
import type { StageControlMessage } from './control-listener.ts';
import type { StageDeps } from './stage-deps.ts';
import { Telemetry } from './telemetry.ts';
import type { TelemetryFields } from './telemetry.ts';

export interface StageLifecycleOptions {
  /** What `interrupted` and `error` events carry besides their message, e.g. `records_written`. @defaultValue none */
  readonly counters?: () => TelemetryFields;
  /** Releases what the stage holds besides its requests (streams, timers, buffers): on stop, failure, finish and dispose. */
  readonly release?: () => void;
  /** Runs before a requested stop releases anything, e.g. to produce what is pending. @defaultValue none */
  readonly beforeStop?: () => Promise<void>;
  /**
   * With it, `loading` goes out at least this often even when no record moved (the workflow
   * supervisor takes a silent stage for stalled), and otherwise only when records moved.
   * @defaultValue none: `loading` at most once per progress interval, whether records moved or not
   */
  readonly heartbeatMs?: number;
  /** @defaultValue `'loader failed'` */
  readonly failureLog?: string;
}

/**
 * What every stage actor does around its own work: the control subscription (`stop`, `ping`), the
 * telemetry, one abort signal for its requests, the failure path (an abort is none), throttled
 * `loading` events and the end of the stream. A stage composes one and keeps its paging or streaming.
 */
export class StageLifecycle {
  readonly telemetry: Telemetry;
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<StageControlMessage>;
  readonly #options: StageLifecycleOptions;
  readonly #abort = new AbortController();
  #control: Subscription | undefined;
  #stopped = false;
  #lastProgressAt = 0;
  #lastProgressRecords = -1;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<StageControlMessage>, options: StageLifecycleOptions = {}) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    this.#options = options;
    this.telemetry = new Telemetry(deps.bus, deps.clock, deps.settings.eventsTopic, command);
  }

  /** Aborted once the stage stops, fails, finishes or is disposed: every request of the stage takes it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** True once the stage stopped, failed, finished or was disposed: it does no more work. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Subscribes the stage's control commands; they come back as actor messages for {@link control}. */
  async open(): Promise<void> {
    this.#control = await listenForStageControl(this.#deps, this.#cmd, this.#ctx);
  }

  /** A REST client on the stage's signal, initialised for the command's symbol; undefined once that failed (and the stage with it). */
  async restClient(): Promise<BinanceRestClient | undefined> {
    const { http, clock, metrics, settings } = this.#deps;
    const client = new BinanceRestClient({
      baseUrl: settings.binanceApiUrl,
      http,
      clock,
      metrics,
      log: this.#ctx.log,
      retry: settings.retry.exchangeRequest,
      weightTarget: settings.exchangeWeightTarget,
      signal: this.#abort.signal,
    });
    try {
      await client.init(this.#cmd.symbol);
    } catch (err) {
      await this.fail(err);
      return undefined;
    }
    return client;
  }

  /** Produces records to the workflow's data topic, keyed by symbol (one partition per symbol, in order). */
  async produce(records: readonly unknown[]): Promise<void> {
    const key = this.#cmd.symbol;
    await this.#deps.bus.produce(this.#cmd.kafka_topic, records.map((r) => ({ key, value: JSON.stringify(r) })));
  }

  /**
   * `stop`: released, `interrupted`, stopped (once); `ping`: `pong`. A stage hands over whatever is
   * left of its messages once its own types are narrowed away: the parameter type keeps that
   * exhaustive (a message type added to the stage fails to compile at the call).
   */
  async control(message: StageControlMessage): Promise<void> {
    switch (message.type) {
      case 'stop':
        if (this.#stopped) return;
        await this.#options.beforeStop?.();
        this.halt();
        await this.telemetry.publish('interrupted', { message: 'Stopped on request', ...this.#options.counters?.() });
        this.#ctx.stopSelf();
        return;
      case 'ping':
        await this.telemetry.pong(message.ping);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  /** Reports the error and stops the stage, unless it was stopped or disposed while a request ran: that abort is no failure. */
  async fail(err: unknown): Promise<void> {
    if (this.#stopped || this.#abort.signal.aborted) return;
    const error = toErrorInfo(err);
    this.#ctx.log.error({ err }, this.#options.failureLog ?? 'loader failed');
    this.halt();
    await this.telemetry.publish('error', { message: error.message, error, ...this.#options.counters?.() });
    this.#ctx.stopSelf();
  }

  /** `loading` with `fields()` when due: at most once per progress interval (see {@link StageLifecycleOptions.heartbeatMs}). */
  async progress(records: number, fields: () => TelemetryFields): Promise<void> {
    const { heartbeatMs } = this.#options;
    const now = this.#deps.clock.now();
    const since = now - this.#lastProgressAt;
    const moved = records !== this.#lastProgressRecords;
    const due = (since >= (this.#deps.settings.progressIntervalMs ?? 1000) && (moved || heartbeatMs === undefined)) || since >= (heartbeatMs ?? Infinity);
    if (!due) return;
    this.#lastProgressAt = now;
    this.#lastProgressRecords = records;
    await this.telemetry.publish('loading', fields());
  }

  /**
   * Ends the stream: the stage released, the end marker (carrying `records`, the count a connector
   * checks; or the stage's own `marker`) produced, the cursor saved, `finished` said, the actor stopped. Idempotent, so a
   * relaunch after the end says it all again.
   */
  async finish(records: number, saveCursor: () => Promise<void>, fields: TelemetryFields, marker?: object): Promise<void> {
    this.halt();
    const end: object = marker ?? ({ end_of_stream: true, queue_id: this.#cmd.queue_id, records, timestamp: this.#deps.clock.now() / 1000 } satisfies EndOfStream);
    await this.produce([end]);
    await saveCursor();
    await this.telemetry.publish('finished', { records_written: records, expected_records: records, ...fields, finished: true });
    this.#ctx.stopSelf();
  }


  /** Stops the stage's work: no more steps, requests aborted, its streams and timers released. */
  halt(): void {
    this.#stopped = true;
    this.#abort.abort();
    this.#options.release?.();
  }

  /** Stopped from outside (workflow stop, stall relaunch, SIGTERM): released like a stop, without telemetry. */
  async dispose(): Promise<void> {
    this.halt();
    await this.#control?.close();
  }
}
