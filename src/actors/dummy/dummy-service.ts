import { ErrorCodes } from '../../protocol/index.ts';
import type { StartCommand } from '../../protocol/index.ts';
import type { ActorContext, Behaviour, Clock, Timer } from '../ports/index.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import type { TelemetryFields } from '../stage/telemetry.ts';

export type DummyMessage = { readonly type: 'tick' } | StageControlMessage;

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
  readonly #ctx: ActorContext<DummyMessage>;
  readonly #options: DummyOptions;
  readonly #stage: StageLifecycle;
  readonly #clock: Clock;
  #timer: Timer | undefined;
  #ticks = 0;

  /** Set when the dummy failed on purpose (`--fail-after`): the process exits non-zero. */
  failed = false;

  constructor(deps: StageDeps, command: StartCommand, options: DummyOptions, ctx: ActorContext<DummyMessage>) {
    this.#options = options;
    this.#ctx = ctx;
    this.#clock = deps.clock;
    this.#stage = new StageLifecycle(deps, command, ctx, { release: () => this.#timer?.cancel() });
  }

  async start(): Promise<void> {
    await this.#stage.open();
    await this.#stage.telemetry.publish('started', { message: 'Dummy service started' });
    if (this.#options.simulateLoading) {
      this.#timer = this.#clock.setInterval(() => this.#ctx.self.tell({ type: 'tick' }), this.#options.tickMs ?? 1000);
    }
  }

  async receive(message: DummyMessage): Promise<void> {
    if (this.#stage.stopped) return;
    if (message.type === 'tick') await this.#tick();
    else await this.#stage.control(message);
  }

  async dispose(): Promise<void> {
    await this.#stage.dispose();
  }

  async #tick(): Promise<void> {
    this.#ticks++;
    const perTick = this.#options.recordsPerTick ?? 100;
    const records = this.#ticks * perTick;
    if (this.#options.failAfter !== undefined && this.#ticks > this.#options.failAfter) {
      const error = { code: ErrorCodes.STAGE_FAILED, message: `simulated failure after ${this.#options.failAfter} ticks`, retriable: false };
      this.failed = true;
      await this.#end('error', { message: error.message, error, records_written: records - perTick });
      return;
    }
    if (this.#ticks >= (this.#options.ticks ?? 10)) {
      await this.#end('finished', { message: `Simulated ${records} records`, records_written: records, finished: true });
      return;
    }
    await this.#stage.telemetry.publish('loading', { message: `Simulated ${records} records`, records_written: records });
  }

  async #end(status: 'finished' | 'error', fields: TelemetryFields): Promise<void> {
    this.#stage.halt();
    await this.#stage.telemetry.publish(status, fields);
    this.#ctx.stopSelf();
  }
}
