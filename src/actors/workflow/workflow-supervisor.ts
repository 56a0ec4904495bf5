import {
  ErrorCodes,
  TERMINAL_STATUSES,
  assertNever,
  pipelineOf,
  roleOfProducer,
  shortIdOf,
  stagesOf,
  targetOf,
  telemetryId,
  toErrorInfo,
  unixSeconds,
} from '../../protocol/index.ts';
import type { ErrorInfo, StageRole, StagePipeline, StartCommand, StopCommand, TelemetryEvent, Workflow, WorkflowStatus } from '../../protocol/index.ts';
import type { ActorContext, ActorRef, Behaviour, Bus, Clock, Launcher, SupervisionPolicy, Timer } from '../ports/index.ts';
import { RestartBudget } from '../supervision/index.ts';
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
  /** Stops another workflow (a graph workflow's data workflows, when it is stopped before they end). */
  readonly stopWorkflow?: (queueId: string) => void;
  /** How long stages get to acknowledge a stop before they are stopped anyway. @defaultValue 10000 */
  readonly stopGraceMs?: number;
  /** A stage with work to do and no telemetry for this long is relaunched. @defaultValue 120000 */
  readonly stallTimeoutMs?: number;
  /** Restart budget of the stages, which relaunches of stalled ones count against (over the whole run, not per window). */
  readonly stageSupervision: SupervisionPolicy;
  /** The manager instance supervising; every registry write renews its claim. */
  readonly owner?: string;
  /** How often the claim is renewed (and a graph workflow's data workflows looked at) while nothing else is written. @defaultValue 10000 */
  readonly heartbeatMs?: number;
}

/**
 * One per workflow: launches its stages (a loader and a connector; a graph-builder and, to learn,
 * a trainer), follows their telemetry, restarts them through supervision within a budget, and
 * keeps the workflow's status in the registry: `pending → running → completed | failed | stopped`.
 * A graph workflow first waits for the data workflows that load what its universe lacked.
 */
export class WorkflowSupervisor implements Behaviour<SupervisorMessage> {
  readonly #deps: SupervisorDeps;
  readonly #ctx: ActorContext<SupervisorMessage>;
  readonly #pipeline: StagePipeline;
  readonly #stages = new Map<StageRole, ActorRef<never>>();
  readonly #lastHeard = new Map<StageRole, number>();
  readonly #stallBudgets = new Map<StageRole, RestartBudget>();
  /** The generation of each stage's current launch: telemetry of an older one is fenced off. */
  readonly #generations = new Map<StageRole, number>();
  #wf: Workflow;
  #stopping = false;
  #launched = false;
  #stallTimer: Timer | undefined;
  #heartbeatTimer: Timer | undefined;
  /** Another manager adopted the workflow: this supervisor writes nothing more and stops. */
  #handedOver = false;

  constructor(deps: SupervisorDeps, workflow: Workflow, ctx: ActorContext<SupervisorMessage>) {
    this.#deps = deps;
    this.#wf = workflow;
    this.#ctx = ctx;
    const pipeline = pipelineOf(workflow.type);
    if (pipeline === undefined) throw new TypeError(`workflow ${workflow.queue_id} has type ${workflow.type}, which runs no stages`);
    this.#pipeline = pipeline;
  }

  async start(): Promise<void> {
    const { clock } = this.#deps;
    const current = await this.#deps.registry.get(this.#wf.queue_id);
    if (current) this.#wf = current;
    if (TERMINAL_STATUSES.has(this.#wf.status)) {
      this.#ctx.stopSelf();
      return;
    }
    // Resumed after the last stage had finished (the `completed` save was lost): nothing left to run.
    if (this.#stage(this.#lastRole())?.status === 'finished') {
      await this.#terminate('completed');
      return;
    }
    await this.#update({ status: 'running', started_at: this.#wf.started_at ?? clock.now() });
    if (this.#handedOver) return;
    this.#heartbeatTimer = clock.setInterval(() => this.#ctx.self.tell({ type: 'heartbeat' }), this.#deps.heartbeatMs ?? 10_000);
    if (await this.#dataReady()) await this.#launchStages();
  }

  async receive(message: SupervisorMessage): Promise<void> {
    if (this.#handedOver) return;
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
        const stage = this.#stage(message.role);
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

  childRestarted(childName: string, error: unknown): void {
    const role = this.#roleOfChild(childName);
    // Through the mailbox, so the save is ordered with every other registry write.
    if (role) this.#ctx.self.tell({ type: 'stage-restarted', role, error: toErrorInfo(error) });
  }

  childFailed(childName: string, error: unknown): void {
    const role = this.#roleOfChild(childName);
    if (!role) return;
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

  /**
   * The stages run once every data workflow this one started has completed (live: at once, since
   * those run until it ends); one that ended otherwise ends this one with its reason.
   */
  async #dataReady(): Promise<boolean> {
    const pending: string[] = [];
    for (const id of this.#wf.children ?? []) {
      const child = await this.#deps.registry.get(id);
      if (child === undefined || child.status === 'completed') continue;
      if (TERMINAL_STATUSES.has(child.status)) {
        const reason = child.error?.message ?? `it ended ${child.status}`;
        const error: ErrorInfo = {
          code: child.error?.code ?? ErrorCodes.STAGE_FAILED,
          message: `loading ${child.symbol} ${child.type} (workflow ${child.queue_id}) did not complete: ${reason}`,
          retriable: false,
        };
        await this.#terminate(child.status === 'stopped' ? 'stopped' : 'failed', error);
        return false;
      }
      pending.push(id);
    }
    // A live graph workflow's data workflows never end: its graph-builder follows what they store.
    if (pending.length === 0 || this.#wf.gnn?.live === true) return true;
    this.#ctx.log.debug({ queue_id: this.#wf.queue_id, pending }, 'waiting for data workflows');
    return false;
  }

  async #launchStages(): Promise<void> {
    const { bus, clock, launcher } = this.#deps;
    this.#launched = true;
    await bus.ensureTopics([{ name: this.#wf.kafka_topic, partitions: 1 }]);
    const now = clock.now();
    // A stage that already finished is not run again (the producer's end marker is on the topic).
    const commands = stagesOf(this.#pipeline)
      .filter((role) => this.#stage(role)?.status !== 'finished')
      .map((role) => [role, this.#startCommand(role, this.#nextGeneration(role, now))] as const);
    await bus.produce(
      this.#deps.controlTopic,
      commands.map(([, c]) => ({ key: c.queue_id, value: JSON.stringify(c) })),
    );
    for (const [role, command] of commands) {
      this.#generations.set(role, command.generation ?? 0);
      this.#stages.set(role, launcher.launch({ role, command }, this.#ctx));
      this.#lastHeard.set(role, now);
      this.#setStage(role, { status: 'running', started_at: now });
    }
    await this.#save();
    const stall = this.#stallTimeoutMs();
    this.#stallTimer = clock.setInterval(() => this.#ctx.self.tell({ type: 'stall-check' }), Math.max(50, Math.floor(stall / 4)));
    this.#ctx.log.info({ queue_id: this.#wf.queue_id, launcher: launcher.kind, stages: commands.map(([r]) => r) }, 'workflow started');
  }

  #cancelTimers(): void {
    this.#stallTimer?.cancel();
    this.#heartbeatTimer?.cancel();
  }

  /** Renews the claim (a save); if another manager adopted the workflow meanwhile, the save fails and it is let go. */
  async #heartbeat(): Promise<void> {
    if (TERMINAL_STATUSES.has(this.#wf.status)) return;
    await this.#save();
    if (this.#handedOver || this.#stopping || (this.#launched && this.#wf.gnn?.live !== true)) return;
    const ready = await this.#dataReady();
    if (ready && !this.#launched && !TERMINAL_STATUSES.has(this.#wf.status)) await this.#launchStages();
  }

  async #onEvent(event: TelemetryEvent): Promise<void> {
    if (TERMINAL_STATUSES.has(this.#wf.status)) return;
    const role = roleOfProducer(event.producer);
    if (!role || !this.#stage(role)) return;
    if (event.generation !== undefined && event.generation < (this.#generations.get(role) ?? 0) && event.status !== 'finished') {
      // A stage that was relaunched (stalled, or left running by a manager that died) and woke up again: its
      // replacement speaks for the stage now. Only its `finished` still counts: it did the whole work (the
      // loader wrote its end marker; the connector stored everything before it and committed past it, so
      // its replacement will never see that marker).
      this.#ctx.log.warn({ queue_id: this.#wf.queue_id, role, generation: event.generation, current: this.#generations.get(role), status: event.status }, 'telemetry of a replaced stage launch fenced off');
      return;
    }
    const records = event.records_written;
    const now = this.#deps.clock.now();
    this.#lastHeard.set(role, now);
    const base = {
      ...(records !== undefined ? { records } : {}),
      ...(event.expected_records !== undefined ? { expected_records: event.expected_records } : {}),
      ...(event.model !== undefined && event.epoch !== undefined && event.epochs !== undefined ? { training: { model: event.model, epoch: event.epoch, epochs: event.epochs } } : {}),
    };
    if (event.model_id !== undefined && !(this.#wf.models ?? []).includes(event.model_id)) {
      this.#wf = { ...this.#wf, models: [...(this.#wf.models ?? []), event.model_id] };
    }
    switch (event.status) {
      case 'started':
      case 'loading':
        this.#setStage(role, { ...base, status: 'running' });
        await this.#save();
        return;
      case 'finished':
        this.#setStage(role, { ...base, status: 'finished', finished_at: now });
        if (role === this.#lastRole()) {
          // The consumer finishes only on the producer's end marker, which the producer writes before it
          // says `finished` itself: that word may come after the workflow ended, so take it from the marker.
          const producer = this.#stage(this.#pipeline.producer);
          if (producer && producer.status !== 'finished' && role !== this.#pipeline.producer) {
            this.#setStage(this.#pipeline.producer, { ...base, status: 'finished', finished_at: now });
          }
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
   * A stage is stalled when it has work and has said nothing for the stall timeout: the producer
   * while running, the consumer while the producer has finished or is ahead of it. It is stopped
   * and launched again (resuming from its cursor or offsets), within a restart budget.
   */
  async #checkStalls(): Promise<void> {
    if (this.#stopping || TERMINAL_STATUSES.has(this.#wf.status)) return;
    const now = this.#deps.clock.now();
    const timeout = this.#stallTimeoutMs();
    const producer = this.#stage(this.#pipeline.producer);
    const consumer = this.#pipeline.consumer === undefined ? undefined : this.#stage(this.#pipeline.consumer);
    for (const [role, ref] of [...this.#stages]) {
      const silentFor = now - (this.#lastHeard.get(role) ?? now);
      if (silentFor < timeout) continue;
      const hasWork =
        role === this.#pipeline.producer
          ? producer?.status === 'running' || producer?.status === 'restarting'
          : producer?.status === 'finished' || (producer?.records ?? 0) > (consumer?.records ?? 0);
      if (!hasWork) continue;
      let budget = this.#stallBudgets.get(role);
      if (!budget) {
        // Stalls are at least a stall timeout apart, so a per-minute window would never fill: count them all.
        budget = new RestartBudget({ ...this.#deps.stageSupervision, windowMs: Number.MAX_SAFE_INTEGER });
        this.#stallBudgets.set(role, budget);
      }
      const stage = this.#stage(role);
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
      const command = this.#startCommand(role, this.#nextGeneration(role, now));
      this.#generations.set(role, command.generation ?? 0);
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
    for (const child of this.#wf.children ?? []) this.#deps.stopWorkflow?.(child);
    if (!this.#launched) {
      await this.#terminate('stopped');
      return;
    }
    const stop: StopCommand = { command: 'stop', queue_id: this.#wf.queue_id, timestamp: unixSeconds(this.#deps.clock.now()) };
    await this.#deps.bus.produce(this.#deps.controlTopic, [{ key: stop.queue_id, value: JSON.stringify(stop) }]);
    const grace = this.#deps.stopGraceMs ?? 10_000;
    this.#deps.clock.setTimeout(() => this.#ctx.self.tell({ type: 'stop-deadline' }), grace);
  }

  async #terminate(status: WorkflowStatus, error?: ErrorInfo): Promise<void> {
    this.#cancelTimers();
    for (const ref of this.#stages.values()) this.#ctx.stop(ref);
    this.#stages.clear();
    const now = this.#deps.clock.now();
    for (const role of stagesOf(this.#pipeline)) {
      const stage = this.#stage(role);
      if (stage && stage.status !== 'finished' && stage.status !== 'failed' && stage.status !== 'stopped') {
        this.#setStage(role, { status: 'stopped', finished_at: now });
      }
    }
    // A live graph workflow's data workflows run until it ends.
    if (this.#wf.gnn?.live === true && !this.#stopping) for (const child of this.#wf.children ?? []) this.#deps.stopWorkflow?.(child);
    await this.#update({ status, finished_at: now, ...(error ? { error } : {}) });
    if (this.#handedOver) return;
    this.#ctx.log.info({ queue_id: this.#wf.queue_id, status }, 'workflow ended');
    this.#deps.ended(this.#wf.queue_id, status);
    this.#ctx.stopSelf();
  }

  /** The stage whose finishing completes the workflow. */
  #lastRole(): StageRole {
    return this.#pipeline.consumer ?? this.#pipeline.producer;
  }

  #roleOfChild(childName: string): StageRole | undefined {
    return stagesOf(this.#pipeline).find((role) => role === childName);
  }

  #stage(role: StageRole): Workflow['stages'][string] | undefined {
    return this.#wf.stages[targetOf(role)];
  }

  /** A launch's generation: the clock, and always above the stage's previous launch (a clock that did not move, a fake one). */
  #nextGeneration(role: StageRole, now: number): number {
    return Math.max(Math.floor(now), (this.#generations.get(role) ?? -1) + 1);
  }

  #startCommand(role: StageRole, generation: number): StartCommand {
    const target = targetOf(role);
    const wf = this.#wf;
    return {
      command: 'start',
      queue_id: wf.queue_id,
      target,
      symbol: wf.symbol,
      type: wf.type,
      time_range: wf.time_range,
      kafka_topic: wf.kafka_topic,
      collection_name: wf.collection_name,
      telemetry_id: this.#stage(role)?.telemetry_id ?? telemetryId(target, shortIdOf(wf.queue_id)),
      ...(this.#deps.image ? { image: this.#deps.image } : {}),
      timestamp: unixSeconds(this.#deps.clock.now()),
      ...(wf.gnn ? { gnn: wf.gnn } : {}),
      generation,
    };
  }

  #setStage(role: StageRole, patch: Partial<Workflow['stages'][string]>): void {
    const target = targetOf(role);
    const stage = this.#wf.stages[target];
    if (!stage) return;
    this.#wf = { ...this.#wf, stages: { ...this.#wf.stages, [target]: { ...stage, ...patch } } };
  }

  async #update(patch: Partial<Workflow>): Promise<void> {
    this.#wf = { ...this.#wf, ...patch };
    await this.#save();
  }

  /**
   * Writes the workflow, renewing this manager's claim. The write is conditional on the claim: once
   * another manager adopted the workflow (this one stalled for a lease), it fails, and this
   * supervisor hands the workflow over quietly: its stages stopped, nothing more written.
   */
  async #save(): Promise<void> {
    if (this.#handedOver) return;
    const now = this.#deps.clock.now();
    const owner = this.#deps.owner;
    this.#wf = { ...this.#wf, updated_at: now, ...(owner !== undefined ? { owner, owner_heartbeat_at: now } : {}) };
    if (owner === undefined) {
      await this.#deps.registry.save(this.#wf);
      return;
    }
    if (await this.#deps.registry.saveAsOwner(this.#wf, owner)) return;
    const current = await this.#deps.registry.get(this.#wf.queue_id);
    this.#ctx.log.warn({ queue_id: this.#wf.queue_id, owner: current?.owner }, 'workflow adopted by another manager; letting go');
    this.#handedOver = true;
    this.#cancelTimers();
    for (const ref of this.#stages.values()) this.#ctx.stop(ref);
    this.#stages.clear();
    this.#deps.ended(this.#wf.queue_id, current?.status ?? this.#wf.status);
    this.#ctx.stopSelf();
  }

  #syntheticError(role: StageRole, error: ErrorInfo): TelemetryEvent {
    return {
      queue_id: this.#wf.queue_id,
      producer: this.#stage(role)?.telemetry_id ?? `${targetOf(role)}__supervisor`,
      status: 'error',
      message: error.message,
      error,
      timestamp: unixSeconds(this.#deps.clock.now()),
    };
  }
}
