import { ErrorCodes, TERMINAL_STATUSES, Targets, toErrorInfo, unixSeconds } from '../../protocol/index.ts';
import type { ErrorInfo, StartCommand, StopCommand, TelemetryEvent, Workflow, WorkflowStatus } from '../../protocol/index.ts';
import type { ActorContext, ActorRef, Behaviour, Bus, Clock, Launcher } from '../ports/index.ts';
import type { StageRole } from '../ports/launcher.ts';
import type { WorkflowRegistry } from './workflow-registry.ts';

export type SupervisorMessage =
  | { readonly type: 'event'; readonly event: TelemetryEvent }
  | { readonly type: 'stop' }
  | { readonly type: 'stop-deadline' };

export interface SupervisorDeps {
  readonly bus: Bus;
  readonly clock: Clock;
  readonly registry: WorkflowRegistry;
  readonly launcher: Launcher;
  readonly controlTopic: string;
  /** The image Jobs run: from configuration only, never from an API caller. */
  readonly image?: string;
  /** Told when the workflow reaches a terminal status. */
  readonly ended: (queueId: string, status: WorkflowStatus) => void;
  /** How long stages get to acknowledge a stop before they are stopped anyway. @defaultValue 10000 */
  readonly stopGraceMs?: number;
}

const ROLE_OF_TARGET: Readonly<Record<string, StageRole>> = { [Targets.loader]: 'loader', [Targets.connector]: 'connector' };
const TARGET_OF_ROLE: Readonly<Record<StageRole, string>> = { loader: Targets.loader, connector: Targets.connector };

/**
 * One per workflow: launches the loader and the connector, follows their telemetry, restarts them
 * through supervision within a budget, and keeps the workflow's status in the registry:
 * `pending → running → completed | failed | stopped`.
 */
export class WorkflowSupervisor implements Behaviour<SupervisorMessage> {
  readonly #deps: SupervisorDeps;
  readonly #ctx: ActorContext<SupervisorMessage>;
  readonly #stages = new Map<StageRole, ActorRef<never>>();
  #wf: Workflow;
  #stopping = false;

  constructor(deps: SupervisorDeps, workflow: Workflow, ctx: ActorContext<SupervisorMessage>) {
    this.#deps = deps;
    this.#wf = workflow;
    this.#ctx = ctx;
  }

  async start(): Promise<void> {
    const { bus, clock, launcher } = this.#deps;
    const current = await this.#deps.registry.get(this.#wf.queue_id);
    if (current) this.#wf = current;
    if (TERMINAL_STATUSES.has(this.#wf.status)) {
      this.#ctx.stopSelf();
      return;
    }
    await bus.ensureTopics([{ name: this.#wf.kafka_topic, partitions: 1 }]);
    const now = clock.now();
    await this.#update({ status: 'running', started_at: this.#wf.started_at ?? now });
    const commands = (['connector', 'loader'] as const).map((role) => this.#startCommand(role));
    await bus.produce(
      this.#deps.controlTopic,
      commands.map((c) => ({ key: c.queue_id, value: JSON.stringify(c) })),
    );
    for (const command of commands) {
      const role = ROLE_OF_TARGET[command.target];
      if (!role) continue;
      this.#stages.set(role, launcher.launch({ role, command }, this.#ctx));
      this.#setStage(role, { status: 'running', started_at: now });
    }
    await this.#save();
    this.#ctx.log.info({ queue_id: this.#wf.queue_id, launcher: launcher.kind }, 'workflow started');
  }

  async receive(message: SupervisorMessage): Promise<void> {
    switch (message.type) {
      case 'event':
        await this.#onEvent(message.event);
        return;
      case 'stop':
        await this.#stop();
        return;
      case 'stop-deadline':
        if (!TERMINAL_STATUSES.has(this.#wf.status)) await this.#terminate('stopped');
        return;
      default: {
        const never: never = message;
        throw new Error(`unexpected message ${JSON.stringify(never)}`);
      }
    }
  }

  childRestarted(childName: string, error: unknown): void {
    const role = childName as StageRole;
    const stage = this.#wf.stages[TARGET_OF_ROLE[role]];
    if (!stage) return;
    this.#setStage(role, { status: 'restarting', restarts: stage.restarts + 1, error: toErrorInfo(error) });
    void this.#save().catch((err: unknown) => this.#ctx.log.error({ err }, 'registry save failed'));
  }

  childFailed(childName: string, error: unknown): void {
    const role = childName as StageRole;
    const cause = toErrorInfo(error);
    const info: ErrorInfo = {
      code: ErrorCodes.RESTART_BUDGET_EXHAUSTED,
      message: `${role} kept crashing and its restart budget is spent; last error: ${cause.message}`,
      retriable: false,
    };
    this.#stages.delete(role);
    this.#setStage(role, { status: 'failed', error: info });
    // Terminal transitions run as a message, in order with telemetry.
    this.#ctx.self.tell({ type: 'event', event: this.#syntheticError(role, info) });
  }

  async #onEvent(event: TelemetryEvent): Promise<void> {
    if (TERMINAL_STATUSES.has(this.#wf.status)) return;
    const target = event.producer.split('__')[0] ?? '';
    const role = ROLE_OF_TARGET[target];
    if (!role) return;
    const records = event.records_written;
    const base = {
      ...(records !== undefined ? { records } : {}),
      ...(event.expected_records !== undefined ? { expected_records: event.expected_records } : {}),
    };
    const now = this.#deps.clock.now();
    switch (event.status) {
      case 'started':
      case 'loading':
        this.#setStage(role, { ...base, status: 'running' });
        await this.#save();
        return;
      case 'finished':
        this.#setStage(role, { ...base, status: 'finished', finished_at: now });
        if (role === 'connector') await this.#terminate('completed');
        else await this.#save();
        return;
      case 'error': {
        const error = event.error ?? { code: ErrorCodes.STAGE_FAILED, message: event.message ?? 'stage failed', retriable: false };
        this.#setStage(role, { ...base, status: 'failed', finished_at: now, error });
        await this.#terminate('failed', { ...error, message: `${role}: ${error.message}` });
        return;
      }
      case 'interrupted':
        this.#setStage(role, { ...base, status: 'stopped', finished_at: now });
        this.#stages.delete(role);
        if (this.#stopping && this.#stages.size === 0) await this.#terminate('stopped');
        else await this.#save();
        return;
      case 'pong':
        return;
      default: {
        const never: never = event.status;
        throw new Error(`unexpected status ${String(never)}`);
      }
    }
  }

  async #stop(): Promise<void> {
    if (this.#stopping || TERMINAL_STATUSES.has(this.#wf.status)) return;
    this.#stopping = true;
    const stop: StopCommand = { command: 'stop', queue_id: this.#wf.queue_id, timestamp: unixSeconds(this.#deps.clock.now()) };
    await this.#deps.bus.produce(this.#deps.controlTopic, [{ key: stop.queue_id, value: JSON.stringify(stop) }]);
    const grace = this.#deps.stopGraceMs ?? 10_000;
    void this.#deps.clock.sleep(grace).then(() => this.#ctx.self.tell({ type: 'stop-deadline' }));
  }

  async #terminate(status: WorkflowStatus, error?: ErrorInfo): Promise<void> {
    for (const ref of this.#stages.values()) this.#ctx.stop(ref);
    this.#stages.clear();
    await this.#update({ status, finished_at: this.#deps.clock.now(), ...(error ? { error } : {}) });
    this.#ctx.log.info({ queue_id: this.#wf.queue_id, status }, 'workflow ended');
    this.#deps.ended(this.#wf.queue_id, status);
    this.#ctx.stopSelf();
  }

  #startCommand(role: StageRole): StartCommand {
    const target = TARGET_OF_ROLE[role];
    const wf = this.#wf;
    const short = wf.queue_id.slice(wf.queue_id.lastIndexOf('-') + 1);
    return {
      command: 'start',
      queue_id: wf.queue_id,
      target,
      symbol: wf.symbol,
      type: wf.type,
      time_range: wf.time_range,
      kafka_topic: wf.kafka_topic,
      collection_name: wf.collection_name,
      telemetry_id: wf.stages[target]?.telemetry_id ?? `${target}__${short}`,
      ...(this.#deps.image ? { image: this.#deps.image } : {}),
      timestamp: unixSeconds(this.#deps.clock.now()),
    };
  }

  #setStage(role: StageRole, patch: Partial<Workflow['stages'][string]>): void {
    const target = TARGET_OF_ROLE[role];
    const stage = this.#wf.stages[target];
    if (!stage) return;
    this.#wf = { ...this.#wf, stages: { ...this.#wf.stages, [target]: { ...stage, ...patch } } };
  }

  async #update(patch: Partial<Workflow>): Promise<void> {
    this.#wf = { ...this.#wf, ...patch };
    await this.#save();
  }

  async #save(): Promise<void> {
    this.#wf = { ...this.#wf, updated_at: this.#deps.clock.now() };
    await this.#deps.registry.save(this.#wf);
  }

  #syntheticError(role: StageRole, error: ErrorInfo): TelemetryEvent {
    return {
      queue_id: this.#wf.queue_id,
      producer: this.#wf.stages[TARGET_OF_ROLE[role]]?.telemetry_id ?? `${TARGET_OF_ROLE[role]}__supervisor`,
      status: 'error',
      message: error.message,
      error,
      timestamp: unixSeconds(this.#deps.clock.now()),
    };
  }
}
