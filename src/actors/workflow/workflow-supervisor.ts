import { ErrorCodes, TERMINAL_STATUSES, Targets, toErrorInfo, unixSeconds, assertNever } from '../../protocol/index.ts';
import type { ErrorInfo, StartCommand, StopCommand, TelemetryEvent, Workflow, WorkflowStatus } from '../../protocol/index.ts';
import type { ActorContext, ActorRef, Behaviour, Bus, Clock, Launcher, SupervisionPolicy, Timer } from '../ports/index.ts';
import { RestartBudget } from '../supervision/index.ts';
import type { StageRole } from '../ports/launcher.ts';
import type { WorkflowRegistry } from './workflow-registry.ts';

export type SupervisorMessage =
  | { readonly type: 'event'; readonly event: TelemetryEvent }
  | { readonly type: 'stop' }
  | { readonly type: 'stop-deadline' }
  | { readonly type: 'stall-check' }
  | { readonly type: 'stage-restarted'; readonly role: StageRole; readonly error: ErrorInfo }
  | { readonly type: 'heartbeat' };

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
  /** A stage with work to do and no telemetry for this long is relaunched. @defaultValue 120000 */
  readonly stallTimeoutMs?: number;
  /** Restart budget of the stages, which relaunches of stalled ones count against (over the whole run, not per window). */
  readonly stageSupervision: SupervisionPolicy;
  /** The manager instance supervising; every registry write renews its claim. */
  readonly owner?: string;
  /** How often the claim is renewed while nothing else is written. @defaultValue 10000 */
  readonly heartbeatMs?: number;
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
  readonly #lastHeard = new Map<StageRole, number>();
  readonly #stallBudgets = new Map<StageRole, RestartBudget>();
  #wf: Workflow;
  #stopping = false;
  #stallTimer: Timer | undefined;
  #heartbeatTimer: Timer | undefined;

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
    // Resumed after the connector had finished (the `completed` save was lost): nothing left to run.
    if (this.#wf.stages[Targets.connector]?.status === 'finished') {
      await this.#terminate('completed');
      return;
    }
    await bus.ensureTopics([{ name: this.#wf.kafka_topic, partitions: 1 }]);
    const now = clock.now();
    await this.#update({ status: 'running', started_at: this.#wf.started_at ?? now });
    // A stage that already finished is not run again (the loader's end marker is on the topic).
    const commands = (['connector', 'loader'] as const)
      .filter((role) => this.#wf.stages[TARGET_OF_ROLE[role]]?.status !== 'finished')
      .map((role) => this.#startCommand(role));
    await bus.produce(
      this.#deps.controlTopic,
      commands.map((c) => ({ key: c.queue_id, value: JSON.stringify(c) })),
    );
    for (const command of commands) {
      const role = ROLE_OF_TARGET[command.target];
      if (!role) continue;
      this.#stages.set(role, launcher.launch({ role, command }, this.#ctx));
      this.#lastHeard.set(role, now);
      this.#setStage(role, { status: 'running', started_at: now });
    }
    await this.#save();
    const stall = this.#stallTimeoutMs();
    this.#stallTimer = clock.setInterval(() => this.#ctx.self.tell({ type: 'stall-check' }), Math.max(50, Math.floor(stall / 4)));
    this.#heartbeatTimer = clock.setInterval(() => this.#ctx.self.tell({ type: 'heartbeat' }), this.#deps.heartbeatMs ?? 10_000);
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
      case 'stall-check':
        await this.#checkStalls();
        return;
      case 'heartbeat':
        await this.#heartbeat();
        return;
      case 'stage-restarted': {
        if (TERMINAL_STATUSES.has(this.#wf.status)) return;
        const stage = this.#wf.stages[TARGET_OF_ROLE[message.role]];
        if (!stage) return;
        this.#setStage(message.role, { status: 'restarting', restarts: stage.restarts + 1, error: message.error });
        await this.#save();
        return;
      }
      default:
        assertNever(message, 'message');
    }
  }

  dispose(): void {
    this.#cancelTimers();
  }

  #cancelTimers(): void {
    this.#stallTimer?.cancel();
    this.#heartbeatTimer?.cancel();
  }

  /** Renews the claim; if another manager adopted the workflow meanwhile, hands it over quietly. */
  async #heartbeat(): Promise<void> {
    if (TERMINAL_STATUSES.has(this.#wf.status) || this.#deps.owner === undefined) return;
    const current = await this.#deps.registry.get(this.#wf.queue_id);
    if (current?.owner !== undefined && current.owner !== this.#deps.owner) {
      this.#ctx.log.warn({ queue_id: this.#wf.queue_id, owner: current.owner }, 'workflow adopted by another manager; letting go');
      this.#cancelTimers();
      for (const ref of this.#stages.values()) this.#ctx.stop(ref);
      this.#stages.clear();
      this.#deps.ended(this.#wf.queue_id, current.status);
      this.#ctx.stopSelf();
      return;
    }
    await this.#save();
  }

  childRestarted(childName: string, error: unknown): void {
    // Through the mailbox, so the save is ordered with every other registry write.
    this.#ctx.self.tell({ type: 'stage-restarted', role: childName as StageRole, error: toErrorInfo(error) });
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
    this.#lastHeard.set(role, this.#deps.clock.now());
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
        if (role === 'connector') {
          // The connector finishes only on the loader's end marker, which the loader writes before it
          // says `finished` itself: that word may come after the workflow ended, so take it from the marker.
          const loader = this.#wf.stages[TARGET_OF_ROLE.loader];
          if (loader && loader.status !== 'finished') this.#setStage('loader', { ...base, status: 'finished', finished_at: now });
          await this.#terminate('completed');
        } else await this.#save();
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
        // A stop may come from the manager or straight from the bus (`streamforge stop`, the original's
        // debug producer): once no stage is left running, the workflow is stopped either way.
        if (Object.values(this.#wf.stages).every((s) => s.status === 'stopped' || s.status === 'finished')) {
          await this.#terminate('stopped');
        } else await this.#save();
        return;
      case 'pong':
        return;
      default:
        assertNever(event.status, 'status');
    }
  }

  /**
   * A stage is stalled when it has work and has said nothing for the stall timeout: the loader
   * while running, the connector while the loader is ahead of it. It is stopped and launched
   * again (resuming from its cursor or offsets), within a restart budget.
   */
  async #checkStalls(): Promise<void> {
    if (this.#stopping || TERMINAL_STATUSES.has(this.#wf.status)) return;
    const now = this.#deps.clock.now();
    const timeout = this.#stallTimeoutMs();
    const loader = this.#wf.stages[Targets.loader];
    const connector = this.#wf.stages[Targets.connector];
    for (const [role, ref] of [...this.#stages]) {
      const silentFor = now - (this.#lastHeard.get(role) ?? now);
      if (silentFor < timeout) continue;
      const hasWork =
        role === 'loader'
          ? loader?.status === 'running' || loader?.status === 'restarting'
          : loader?.status === 'finished' || (loader?.records ?? 0) > (connector?.records ?? 0);
      if (!hasWork) continue;
      let budget = this.#stallBudgets.get(role);
      if (!budget) {
        // Stalls are at least a stall timeout apart, so a per-minute window would never fill: count them all.
        budget = new RestartBudget({ ...this.#deps.stageSupervision, windowMs: Number.MAX_SAFE_INTEGER });
        this.#stallBudgets.set(role, budget);
      }
      const stage = this.#wf.stages[TARGET_OF_ROLE[role]];
      if (budget.next(now) === undefined) {
        this.#ctx.stop(ref);
        this.#stages.delete(role);
        const error: ErrorInfo = { code: ErrorCodes.RESTART_BUDGET_EXHAUSTED, message: `${role} stalled (no progress for ${silentFor} ms) and its restart budget is spent`, retriable: false };
        this.#setStage(role, { status: 'failed', error });
        await this.#terminate('failed', error);
        return;
      }
      this.#ctx.log.warn({ queue_id: this.#wf.queue_id, role, silent_ms: silentFor }, 'stage stalled; relaunching');
      this.#ctx.stop(ref);
      const command = this.#startCommand(role);
      this.#stages.set(role, this.#deps.launcher.launch({ role, command }, this.#ctx));
      this.#lastHeard.set(role, now);
      this.#setStage(role, {
        status: 'restarting',
        restarts: (stage?.restarts ?? 0) + 1,
        error: { code: ErrorCodes.STAGE_FAILED, message: `stalled: no progress for ${silentFor} ms`, retriable: true },
      });
      await this.#save();
    }
  }

  #stallTimeoutMs(): number {
    return this.#deps.stallTimeoutMs ?? 120_000;
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
    this.#cancelTimers();
    for (const ref of this.#stages.values()) this.#ctx.stop(ref);
    this.#stages.clear();
    const now = this.#deps.clock.now();
    for (const role of ['loader', 'connector'] as const) {
      const stage = this.#wf.stages[TARGET_OF_ROLE[role]];
      if (stage && stage.status !== 'finished' && stage.status !== 'failed' && stage.status !== 'stopped') {
        this.#setStage(role, { status: 'stopped', finished_at: now });
      }
    }
    await this.#update({ status, finished_at: now, ...(error ? { error } : {}) });
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
    const now = this.#deps.clock.now();
    this.#wf = { ...this.#wf, updated_at: now, ...(this.#deps.owner !== undefined ? { owner: this.#deps.owner, owner_heartbeat_at: now } : {}) };
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
