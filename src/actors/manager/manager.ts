import {
  approximateIntervalCount,
  assertNever,
  describeAcceptedTypes,
  ErrorCodes,
  formatTimeRange,
  graphFeaturesTopic,
  parseJsonOrUndefined,
  parseStreamType,
  pipelineOf,
  stagesOf,
  StreamForgeError,
  targetOf,
  TelemetryEvent,
  telemetryId,
  TERMINAL_STATUSES,
  toErrorInfo,
  unixSeconds,
  ValidationError,
  workflowNames,
} from '../../protocol/index.ts';
import type { AnalyticsType, GnnParams, StageRole, StopCommand, TimeRange, Workflow, WorkflowStatus } from '../../protocol/index.ts';
import { CandleGrid, missingCandleSpan } from '../audit/index.ts';
import { graphWarmupSteps, minimumSnapshots } from '../analytics/index.ts';
import type { ActorContext, ActorRef, Behaviour, Bus, Clock, Launcher, Metrics, Subscription, SupervisionPolicy, Timer } from '../ports/index.ts';
import { WorkflowRegistry } from '../workflow/workflow-registry.ts';
import { WorkflowSupervisor } from '../workflow/workflow-supervisor.ts';
import { TopicRetention } from './topic-retention.ts';
import type { SupervisorMessage } from '../workflow/workflow-supervisor.ts';
import type { Store } from '../ports/index.ts';

/** A market-data workflow (one symbol, one type), or a graph workflow over a universe. */
export type CreateWorkflowRequest = SeriesWorkflowRequest | GraphWorkflowRequest;

export interface SeriesWorkflowRequest {
  readonly symbol: string;
  readonly type: string;
  readonly range: TimeRange;
}

export interface GraphWorkflowRequest {
  readonly type: AnalyticsType;
  /** The candles read; live: where history starts (the range then ends far in the future). */
  readonly range: TimeRange;
  readonly gnn: GnnParams;
}

type Reply<T> = (result: { ok: true; value: T } | { ok: false; error: StreamForgeError }) => void;

export type ManagerMessage =
  | { readonly type: 'create'; readonly request: CreateWorkflowRequest; readonly reply: Reply<Workflow> }
  | { readonly type: 'stop'; readonly queueId: string; readonly reply: Reply<Workflow> }
  | { readonly type: 'event'; readonly event: TelemetryEvent }
  | { readonly type: 'ended'; readonly queueId: string; readonly status: WorkflowStatus }
  | { readonly type: 'adopt' }
  | { readonly type: 'reap'; readonly queueId: string };

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
  /**
   * How long after a workflow ended its own topics and consumer groups are kept before they are
   * deleted (`TOPIC_RETENTION_AFTER_FINISH_MS`). @defaultValue 86400000 (a day)
   */
  readonly topicRetentionAfterFinishMs?: number;
  /** Told true once the manager serves (topics, subscription, adoption done), false when it stops or crashes. */
  readonly readiness?: (ready: boolean) => void;
  /** Told each workflow this manager or its supervisors save, once saved (in save order). */
  readonly workflowSaved?: (workflow: Workflow) => void;
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
  /** Data workflows started for a graph workflow, and that workflow: it is told when they end. */
  readonly #parents = new Map<string, string>();
  #events: Subscription | undefined;
  #adoptTimer: Timer | undefined;
  readonly #retention: TopicRetention;

  constructor(deps: ManagerDeps, ctx: ActorContext<ManagerMessage>) {
    this.#deps = deps;
    this.#ctx = ctx;
    this.#registry = new WorkflowRegistry(deps.store, deps.workflowSaved);
    this.#retention = new TopicRetention({
      bus: deps.bus,
      clock: deps.clock,
      registry: this.#registry,
      log: ctx.log,
      instanceId: deps.instanceId,
      sharedTopics: [deps.controlTopic, deps.eventsTopic],
      retentionMs: deps.topicRetentionAfterFinishMs ?? 86_400_000,
      due: (queueId) => ctx.self.tell({ type: 'reap', queueId }),
    });
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
   * Resumes unfinished workflows this manager owns or whose owner went quiet for a lease. Each claim
   * is a compare-and-set on the workflow as read: of several managers claiming one at once, exactly
   * one wins and the others leave it.
   */
  async #adopt(): Promise<void> {
    const now = this.#deps.clock.now();
    const me = this.#deps.instanceId;
    const orphans = (await this.#registry.listIn('active')).filter(
      (wf) =>
        !this.#supervisors.has(wf.queue_id) &&
        (wf.owner === undefined || wf.owner === me || now - (wf.owner_heartbeat_at ?? wf.updated_at) > this.#leaseMs()),
    );
    for (const wf of orphans) {
      const claimed = await this.#registry.claim(wf, me, now);
      if (claimed === undefined || this.#supervisors.has(wf.queue_id)) continue;
      this.#ctx.log.info({ queue_id: wf.queue_id, status: wf.status, previous_owner: wf.owner }, 'resuming workflow');
      this.#spawnSupervisor(claimed);
    }
    // Ended workflows whose topics wait for deletion, whoever ended them (another manager, gone since).
    await this.#retention.scheduleWaiting();
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
      case 'ended': {
        this.#supervisors.delete(message.queueId);
        const ended = await this.#registry.get(message.queueId);
        if (ended) this.#retention.schedule(ended);
        const parent = this.#parents.get(message.queueId);
        this.#parents.delete(message.queueId);
        // A graph workflow waiting for its data looks again now rather than at its next heartbeat.
        if (parent !== undefined) this.#supervisors.get(parent)?.tell({ type: 'heartbeat' });
        return;
      }
      case 'adopt':
        await this.#adopt();
        return;
      case 'reap':
        await this.#retention.reap(message.queueId);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    this.#deps.readiness?.(false);
    this.#adoptTimer?.cancel();
    this.#retention.cancel();
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
    const wf = 'gnn' in request ? await this.#createGraph(request) : await this.#createSeries(request);
    return { ok: true, value: wf };
  }

  async #createSeries(request: SeriesWorkflowRequest, parent?: string): Promise<Workflow> {
    const now = this.#deps.clock.now();
    const type = parseStreamType(request.type);
    if (!type) throw new ValidationError(`unknown type ${JSON.stringify(request.type)}; accepted: ${describeAcceptedTypes()}`);
    if (type.record === 'depth' && request.range.toMs <= now) {
      throw new ValidationError(
        `${request.type} records the live order book and has no history: the range must end after now (${new Date(now).toISOString()}); accepted: a range whose end is in the future`,
      );
    }
    const names = workflowNames(request.symbol, request.type, request.range.fromMs);
    const wf: Workflow = {
      ...this.#newWorkflow(names.queueId, names.shortId, request.type, request.range, ['loader', 'connector']),
      symbol: request.symbol,
      kafka_topic: names.dataTopic,
      collection_name: names.collectionName,
      ...(parent !== undefined ? { parent } : {}),
    };
    await this.#registry.save(wf);
    this.#spawnSupervisor(wf);
    return wf;
  }

  /**
   * A graph workflow: first a data workflow per symbol whose stored candles do not cover the range
   * (history over REST; live, a stream that loads the past it lacks first), then its own stages,
   * which its supervisor launches once that data is in.
   */
  async #createGraph(request: GraphWorkflowRequest): Promise<Workflow> {
    const { gnn, range } = request;
    const now = this.#deps.clock.now();
    const pipeline = pipelineOf(request.type);
    if (!pipeline) throw new ValidationError(`unknown type ${request.type}`);
    if (!gnn.live) checkGraphRange(request.type, gnn, range);
    const names = workflowNames('MULTI', request.type, range.fromMs);
    const children: string[] = [];
    for (const symbol of gnn.symbols) {
      const child = gnn.live
        ? { type: `ws_candles_${gnn.interval}`, range: { fromMs: (await missingCandleSpan(this.#deps.store, symbol, gnn.interval, { fromMs: range.fromMs, toMs: now }, now))?.fromMs ?? CandleGrid.floor(gnn.interval, now), toMs: range.toMs } }
        : { type: `api_candles_${gnn.interval}`, range: await missingCandleSpan(this.#deps.store, symbol, gnn.interval, range, now) };
      if (child.range === undefined) continue;
      const wf = await this.#createSeries({ symbol, type: child.type, range: child.range }, names.queueId);
      this.#parents.set(wf.queue_id, names.queueId);
      children.push(wf.queue_id);
    }
    const wf: Workflow = {
      ...this.#newWorkflow(names.queueId, names.shortId, request.type, range, stagesOf(pipeline)),
      symbol: 'MULTI',
      kafka_topic: graphFeaturesTopic(names.queueId),
      collection_name: names.collectionName,
      gnn,
      children,
    };
    await this.#registry.save(wf);
    this.#spawnSupervisor(wf);
    return wf;
  }

  #newWorkflow(queueId: string, shortId: string, type: string, range: TimeRange, roles: readonly StageRole[]): Omit<Workflow, 'symbol' | 'kafka_topic' | 'collection_name'> {
    const now = this.#deps.clock.now();
    const stages = Object.fromEntries(
      roles.map((role) => {
        const target = targetOf(role);
        return [target, { target, telemetry_id: telemetryId(target, shortId), status: 'pending' as const, records: 0, restarts: 0 }];
      }),
    );
    return {
      queue_id: queueId,
      type,
      time_range: formatTimeRange(range),
      from_ms: range.fromMs,
      to_ms: range.toMs,
      status: 'pending',
      created_at: now,
      updated_at: now,
      stages,
      owner: this.#deps.instanceId,
      owner_heartbeat_at: now,
    };
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
    if (wf.parent !== undefined) this.#parents.set(wf.queue_id, wf.parent);
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
            stopWorkflow: (queueId) => this.#ctx.self.tell({ type: 'stop', queueId, reply: () => undefined }),
          },
          wf,
          ctx,
        ),
    });
    this.#supervisors.set(wf.queue_id, ref);
  }
}

/** A range too short for the graph warm-up (and, to train, the split with its purge gaps) is refused before anything is written. */
function checkGraphRange(type: AnalyticsType, gnn: GnnParams, range: TimeRange): void {
  const warmup = graphWarmupSteps(gnn.window);
  const snapshots = type === 'gnn_train' ? minimumSnapshots(gnn.window, gnn.horizon) : 1;
  const needed = warmup + snapshots;
  const candles = approximateIntervalCount(gnn.interval, range.fromMs, range.toMs);
  if (candles >= needed) return;
  throw new ValidationError(
    `the range is too short: ${candles} candles of ${gnn.interval}, at least ${needed} needed ` +
      `(${warmup} to warm up the window of ${gnn.window} and the features` +
      (type === 'gnn_train' ? `, then ${snapshots} snapshots for horizon ${gnn.horizon} and a 70/15/15 split with purge gaps of window + horizon)` : ', then one snapshot)') +
      `; accepted: a longer range or a smaller --window`,
  );
}
