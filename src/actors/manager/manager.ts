import { describeAcceptedTypes, parseJsonOrUndefined, parseStreamType, ValidationError, TelemetryEvent, TERMINAL_STATUSES, toErrorInfo, unixSeconds, Targets, telemetryId, workflowNames, formatTimeRange, ErrorCodes, StreamForgeError, assertNever } from '../../protocol/index.ts';
import type { StopCommand, TimeRange, Workflow, WorkflowStatus } from '../../protocol/index.ts';
import type { ActorContext, ActorRef, Behaviour, Bus, Clock, Launcher, Metrics, Subscription, SupervisionPolicy, Timer } from '../ports/index.ts';
import { WorkflowRegistry } from '../workflow/workflow-registry.ts';
import { WorkflowSupervisor } from '../workflow/workflow-supervisor.ts';
import type { SupervisorMessage } from '../workflow/workflow-supervisor.ts';
import type { Store } from '../ports/index.ts';

export interface CreateWorkflowRequest {
  readonly symbol: string;
  readonly type: string;
  readonly range: TimeRange;
}

type Reply<T> = (result: { ok: true; value: T } | { ok: false; error: StreamForgeError }) => void;

export type ManagerMessage =
  | { readonly type: 'create'; readonly request: CreateWorkflowRequest; readonly reply: Reply<Workflow> }
  | { readonly type: 'stop'; readonly queueId: string; readonly reply: Reply<Workflow> }
  | { readonly type: 'event'; readonly event: TelemetryEvent }
  | { readonly type: 'ended'; readonly queueId: string; readonly status: WorkflowStatus }
  | { readonly type: 'adopt' };

export interface ManagerDeps {
  readonly bus: Bus;
  readonly store: Store;
  readonly clock: Clock;
  readonly launcher: Launcher;
  readonly metrics: Metrics;
  readonly controlTopic: string;
  readonly eventsTopic: string;
  readonly image?: string;
  /** Restarts of each stage, and relaunches of a stalled one (the `stageRestart` policy). */
  readonly stageSupervision: SupervisionPolicy;
  readonly stallTimeoutMs?: number;
  /** This manager among several (pod name): workflows are owned by one manager at a time. */
  readonly instanceId: string;
  /** A workflow whose owner has not heartbeat for this long is adopted by another manager. @defaultValue 30000 */
  readonly ownershipLeaseMs?: number;
  /** Told true once the manager serves (topics, subscription, adoption done), false when it stops or crashes. */
  readonly readiness?: (ready: boolean) => void;
}

/**
 * Creates workflows, spawns one supervisor per workflow, routes `queue-events` telemetry to them
 * (the original manager never consumed it, so statuses stayed `pending`), and on start-up resumes
 * workflows a previous process left unfinished.
 */
export class Manager implements Behaviour<ManagerMessage> {
  readonly #deps: ManagerDeps;
  readonly #ctx: ActorContext<ManagerMessage>;
  readonly #registry: WorkflowRegistry;
  readonly #supervisors = new Map<string, ActorRef<SupervisorMessage>>();
  #events: Subscription | undefined;
  #adoptTimer: Timer | undefined;

  constructor(deps: ManagerDeps, ctx: ActorContext<ManagerMessage>) {
    this.#deps = deps;
    this.#ctx = ctx;
    this.#registry = new WorkflowRegistry(deps.store);
  }

  async start(): Promise<void> {
    const { bus, metrics } = this.#deps;
    await this.#registry.init();
    await bus.ensureTopics([{ name: this.#deps.controlTopic }, { name: this.#deps.eventsTopic }]);
    this.#events = await bus.subscribe({
      // Every manager reads every event (its own group) and routes those of the workflows it owns.
      groupId: `streamforge-manager-${this.#deps.instanceId}`,
      topics: [this.#deps.eventsTopic],
      fromBeginning: false,
      handler: (batch) => {
        for (const m of batch) {
          const parsed = TelemetryEvent.safeParse(parseJsonOrUndefined(m.value));
          if (parsed.success) this.#ctx.self.tell({ type: 'event', event: parsed.data });
          else {
            metrics.messageRejected('event_schema');
            this.#ctx.log.warn({ offset: m.offset }, 'telemetry event rejected');
          }
        }
        return Promise.resolve();
      },
      onError: (err) => this.#ctx.fail(err),
    });
    await this.#adopt();
    this.#adoptTimer = this.#deps.clock.setInterval(() => this.#ctx.self.tell({ type: 'adopt' }), Math.max(50, Math.floor(this.#leaseMs() / 2)));
    this.#deps.readiness?.(true);
  }

  #leaseMs(): number {
    return this.#deps.ownershipLeaseMs ?? 30_000;
  }

  /**
   * Resumes unfinished workflows this manager owns or whose owner went quiet for a lease. A claim
   * is written, then read back after a pause: of two managers claiming at once, the last writer wins
   * and the other one backs off.
   */
  async #adopt(): Promise<void> {
    const now = this.#deps.clock.now();
    const me = this.#deps.instanceId;
    const orphans = (await this.#registry.list()).filter(
      (wf) =>
        !TERMINAL_STATUSES.has(wf.status) &&
        !this.#supervisors.has(wf.queue_id) &&
        (wf.owner === undefined || wf.owner === me || now - (wf.owner_heartbeat_at ?? wf.updated_at) > this.#leaseMs()),
    );
    if (orphans.length === 0) return;
    for (const wf of orphans) await this.#registry.save({ ...wf, owner: me, owner_heartbeat_at: now });
    await this.#deps.clock.sleep(Math.min(500, this.#leaseMs() / 4));
    for (const wf of orphans) {
      const current = await this.#registry.get(wf.queue_id);
      if (current?.owner !== me || this.#supervisors.has(wf.queue_id)) continue;
      this.#ctx.log.info({ queue_id: wf.queue_id, status: wf.status, previous_owner: wf.owner }, 'resuming workflow');
      this.#spawnSupervisor(current);
    }
  }

  async receive(message: ManagerMessage): Promise<void> {
    switch (message.type) {
      case 'create':
        message.reply(await this.#answer(() => this.#create(message.request)));
        return;
      case 'stop':
        message.reply(await this.#answer(() => this.#stop(message.queueId)));
        return;
      case 'event':
        this.#supervisors.get(message.event.queue_id)?.tell({ type: 'event', event: message.event });
        return;
      case 'ended':
        this.#supervisors.delete(message.queueId);
        return;
      case 'adopt':
        await this.#adopt();
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    this.#deps.readiness?.(false);
    this.#adoptTimer?.cancel();
    await this.#events?.close();
  }

  /** A supervisor that kept crashing (e.g. its topics cannot be created): the workflow fails with the reason. */
  childFailed(childName: string, error: unknown): void {
    this.#supervisors.delete(childName);
    const info = toErrorInfo(error);
    void (async () => {
      const wf = await this.#registry.get(childName);
      if (!wf || TERMINAL_STATUSES.has(wf.status)) return;
      const now = this.#deps.clock.now();
      await this.#registry.save({
        ...wf,
        status: 'failed',
        finished_at: now,
        updated_at: now,
        error: { code: ErrorCodes.RESTART_BUDGET_EXHAUSTED, message: `workflow supervisor kept crashing: ${info.message}`, retriable: false },
      });
    })().catch((err: unknown) => this.#ctx.log.error({ err, queue_id: childName }, 'could not record a failed workflow'));
  }

  /** Every request gets an answer: a failure becomes the reply, not a crash that restarts every workflow. */
  async #answer(work: () => Promise<{ ok: true; value: Workflow } | { ok: false; error: StreamForgeError }>) {
    try {
      return await work();
    } catch (err) {
      const error = err instanceof StreamForgeError ? err : new StreamForgeError(ErrorCodes.INTERNAL, toErrorInfo(err).message, { cause: err, retriable: true });
      return { ok: false as const, error };
    }
  }

  async #create(request: CreateWorkflowRequest): Promise<{ ok: true; value: Workflow }> {
    const now = this.#deps.clock.now();
    const type = parseStreamType(request.type);
    if (!type) throw new ValidationError(`unknown type ${JSON.stringify(request.type)}; accepted: ${describeAcceptedTypes()}`);
    if (type.record === 'depth' && request.range.toMs <= now) {
      throw new ValidationError(
        `${request.type} records the live order book and has no history: the range must end after now (${new Date(now).toISOString()}); accepted: a range whose end is in the future`,
      );
    }
    const names = workflowNames(request.symbol, request.type, request.range.fromMs);
    const stage = (target: string) => ({
      target,
      telemetry_id: telemetryId(target, names.shortId),
      status: 'pending' as const,
      records: 0,
      restarts: 0,
    });
    const wf: Workflow = {
      queue_id: names.queueId,
      symbol: request.symbol,
      type: request.type,
      time_range: formatTimeRange(request.range),
      from_ms: request.range.fromMs,
      to_ms: request.range.toMs,
      status: 'pending',
      kafka_topic: names.dataTopic,
      collection_name: names.collectionName,
      created_at: now,
      updated_at: now,
      stages: { [Targets.loader]: stage(Targets.loader), [Targets.connector]: stage(Targets.connector) },
      owner: this.#deps.instanceId,
      owner_heartbeat_at: now,
    };
    await this.#registry.save(wf);
    this.#spawnSupervisor(wf);
    return { ok: true, value: wf };
  }

  async #stop(queueId: string): Promise<{ ok: true; value: Workflow } | { ok: false; error: StreamForgeError }> {
    const wf = await this.#registry.get(queueId);
    if (!wf) return { ok: false, error: new StreamForgeError(ErrorCodes.NOT_FOUND, `no workflow with queue_id ${queueId}`) };
    const supervisor = this.#supervisors.get(queueId);
    const ownedElsewhere = wf.owner !== undefined && wf.owner !== this.#deps.instanceId && this.#deps.clock.now() - (wf.owner_heartbeat_at ?? 0) <= this.#leaseMs();
    if (supervisor) supervisor.tell({ type: 'stop' });
    else if (ownedElsewhere && !TERMINAL_STATUSES.has(wf.status)) {
      // Another manager supervises it: the stop goes on the bus to every stage, and its supervisor follows.
      const stop: StopCommand = { command: 'stop', queue_id: queueId, timestamp: unixSeconds(this.#deps.clock.now()) };
      await this.#deps.bus.produce(this.#deps.controlTopic, [{ key: queueId, value: JSON.stringify(stop) }]);
    } else if (!TERMINAL_STATUSES.has(wf.status)) {
      const stopped: Workflow = { ...wf, status: 'stopped', finished_at: this.#deps.clock.now(), updated_at: this.#deps.clock.now() };
      await this.#registry.save(stopped);
      return { ok: true, value: stopped };
    }
    return { ok: true, value: wf };
  }

  #spawnSupervisor(wf: Workflow): void {
    const deps = this.#deps;
    const ref = this.#ctx.spawn<SupervisorMessage>({
      name: wf.queue_id,
      actorType: 'workflow-supervisor',
      create: (ctx) =>
        new WorkflowSupervisor(
          {
            bus: deps.bus,
            clock: deps.clock,
            registry: this.#registry,
            launcher: deps.launcher,
            controlTopic: deps.controlTopic,
            ...(deps.image ? { image: deps.image } : {}),
            ...(deps.stallTimeoutMs ? { stallTimeoutMs: deps.stallTimeoutMs } : {}),
            stageSupervision: deps.stageSupervision,
            owner: deps.instanceId,
            heartbeatMs: Math.max(20, Math.floor(this.#leaseMs() / 3)),
            ended: (queueId, status) => this.#ctx.self.tell({ type: 'ended', queueId, status }),
          },
          wf,
          ctx,
        ),
    });
    this.#supervisors.set(wf.queue_id, ref);
  }
}
