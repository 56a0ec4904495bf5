import { ErrorCodes, assertNever } from '../../protocol/index.ts';
import type { PingCommand, StartCommand } from '../../protocol/index.ts';
import type { ActorContext, Behaviour, Subscription } from '../ports/index.ts';
import { listenForStageControl } from '../stage/control-listener.ts';
import { Telemetry } from '../stage/telemetry.ts';
import type { StageDeps } from '../stage/stage-deps.ts';

export type DummyMessage =
  | { readonly type: 'tick' }
  | { readonly type: 'stop' }
  | { readonly type: 'ping'; readonly ping: PingCommand };

export interface DummyOptions {
  /** Emit `loading` events as if records were being loaded. */
  readonly simulateLoading: boolean;
  /** Report `error` and fail after this many loading ticks. */
  readonly failAfter?: number;
  /** Loading ticks before `finished` (with simulateLoading). @defaultValue 10 */
  readonly ticks?: number;
  /** @defaultValue 1000 */
  readonly tickMs?: number;
  /** Records per tick. @defaultValue 100 */
  readonly recordsPerTick?: number;
}

/**
 * The original dummy-service as a diagnostic actor: `started`, optional `loading` ticks, `finished`
 * or an `error` after N ticks, `pong` on `ping`, `interrupted` on `stop`. It exercises the control
 * and telemetry paths end to end without touching an exchange.
 */
export class DummyService implements Behaviour<DummyMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<DummyMessage>;
  readonly #options: DummyOptions;
  readonly #telemetry: Telemetry;
  #control: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #done = false;

  /** Set when the dummy failed on purpose (`--fail-after`): the process exits non-zero. */
  failed = false;

  constructor(deps: StageDeps, command: StartCommand, options: DummyOptions, ctx: ActorContext<DummyMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#options = options;
    this.#ctx = ctx;
    this.#telemetry = new Telemetry(deps.bus, deps.clock, deps.settings.eventsTopic, command);
  }

  async start(): Promise<void> {
    this.#control = await listenForStageControl({
      bus: this.#deps.bus,
      topic: this.#deps.settings.controlTopic,
      telemetryId: this.#cmd.telemetry_id,
      queueId: this.#cmd.queue_id,
      log: this.#ctx.log,
      metrics: this.#deps.metrics,
      self: this.#ctx.self,
    });
    await this.#telemetry.publish('started', { message: 'Dummy service started' });
    if (this.#options.simulateLoading) {
      this.#timer = setInterval(() => this.#ctx.self.tell({ type: 'tick' }), this.#options.tickMs ?? 1000);
    }
  }

  async receive(message: DummyMessage): Promise<void> {
    if (this.#done) return;
    switch (message.type) {
      case 'tick': {
        this.#ticks++;
        const records = this.#ticks * (this.#options.recordsPerTick ?? 100);
        if (this.#options.failAfter !== undefined && this.#ticks > this.#options.failAfter) {
          const error = { code: ErrorCodes.STAGE_FAILED, message: `simulated failure after ${this.#options.failAfter} ticks`, retriable: false };
          this.failed = true;
          await this.#end('error', { message: error.message, error, records_written: records - (this.#options.recordsPerTick ?? 100) });
          return;
        }
        if (this.#ticks >= (this.#options.ticks ?? 10)) {
          await this.#end('finished', { message: `Simulated ${records} records`, records_written: records, finished: true });
          return;
        }
        await this.#telemetry.publish('loading', { message: `Simulated ${records} records`, records_written: records });
        return;
      }
      case 'stop':
        await this.#end('interrupted', { message: 'Stopped on request' });
        return;
      case 'ping':
        await this.#telemetry.pong(message.ping);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    clearInterval(this.#timer);
    await this.#control?.close();
  }

  async #end(status: 'finished' | 'error' | 'interrupted', fields: Parameters<Telemetry['publish']>[1]): Promise<void> {
    this.#done = true;
    clearInterval(this.#timer);
    await this.#telemetry.publish(status, fields);
    this.#ctx.stopSelf();
  }
}
