import { Command, isRetriable, parseJsonOrUndefined, Targets, TERMINAL_STATUSES, unixSeconds, assertNever } from '../../protocol/index.ts';
import type { StartCommand, Workflow } from '../../protocol/index.ts';
import type { ActorContext, Behaviour, BusMessage, Subscription, Timer } from '../ports/index.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { WorkflowRegistry } from '../workflow/workflow-registry.ts';
import { SeriesWriter } from './series-writer.ts';

/** The consumer group every pool member shares: what KEDA's ScaledObject reads the lag of. */
export const CONNECTOR_POOL_GROUP = 'streamforge-connector';

export type PoolMessage = { readonly type: 'poll' } | { readonly type: 'control'; readonly command: Command };

export interface ConnectorPoolOptions {
  /** This member's name: its control group is `streamforge-connector-pool-<instance>`, so every member sees every stop. */
  readonly instanceId: string;
  /** How often the registry is read for workflows to serve. @defaultValue 2000 */
  readonly pollMs?: number;
}

const ENDED_STAGE = new Set(['finished', 'failed', 'stopped']);

/**
 * The connector pool (`ROLE=connector` without an assignment): a long-running member of a
 * Deployment that KEDA scales on consumer lag. Every member reads the workflow registry, subscribes
 * to the data topics of every workflow whose connector the pool serves, in one consumer group
 * ({@link CONNECTOR_POOL_GROUP}), so Kafka shares the partitions among the members and hands a dead
 * member's partitions to the others. Each workflow's records go through its own {@link SeriesWriter}.
 */
export class ConnectorPool implements Behaviour<PoolMessage> {
  readonly #deps: StageDeps;
  readonly #ctx: ActorContext<PoolMessage>;
  readonly #options: ConnectorPoolOptions;
  readonly #registry: WorkflowRegistry;
  /** Writers by data topic. */
  readonly #writers = new Map<string, SeriesWriter>();
  /** Per-writer queues, so one workflow's batches are written in order. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Workflows this member saw end (or stopped) before the registry says so. */
  readonly #ended = new Set<string>();
  #topics: string[] = [];
  #data: Subscription | undefined;
  #control: Subscription | undefined;
  #timer: Timer | undefined;

  constructor(deps: StageDeps, options: ConnectorPoolOptions, ctx: ActorContext<PoolMessage>) {
    this.#deps = deps;
    this.#options = options;
    this.#ctx = ctx;
    this.#registry = new WorkflowRegistry(deps.store);
  }

  async start(): Promise<void> {
    const { bus, settings, metrics } = this.#deps;
    await this.#registry.init();
    await bus.ensureTopics([{ name: settings.controlTopic }, { name: settings.eventsTopic }]);
    this.#control = await bus.subscribe({
      groupId: `streamforge-connector-pool-${this.#options.instanceId}`,
      topics: [settings.controlTopic],
      fromBeginning: false,
      handler: (batch) => {
        for (const m of batch) {
          const parsed = Command.safeParse(parseJsonOrUndefined(m.value));
          if (parsed.success) this.#ctx.self.tell({ type: 'control', command: parsed.data });
          else metrics.messageRejected('control_schema');
        }
        return Promise.resolve();
      },
      onError: (err) => this.#ctx.fail(err),
    });
    this.#timer = this.#deps.clock.setInterval(() => this.#ctx.self.tell({ type: 'poll' }), this.#options.pollMs ?? 2000);
    await this.#poll();
  }

  async receive(message: PoolMessage): Promise<void> {
    switch (message.type) {
      case 'poll':
        await this.#poll();
        return;
      case 'control':
        await this.#onControl(message.command);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    this.#timer?.cancel();
    await this.#data?.close();
    await this.#control?.close();
  }

  async #onControl(command: Command): Promise<void> {
    if (command.command === 'start') return;
    const writer = [...this.#writers.values()].find((w) => w.command.queue_id === command.queue_id);
    if (!writer) return;
    if (command.command === 'ping') {
      // Only a member that got the workflow's data answers for it. The bus port tells no partition
      // assignments, so after a rebalance the former holder answers too until it is dropped.
      if (writer.announced) await writer.pong(command);
      return;
    }
    const topic = writer.command.kafka_topic;
    this.#ended.add(command.queue_id);
    this.#writers.delete(topic);
    // A batch of it may be in the writer still: the count goes out after it.
    const inFlight = this.#queues.get(topic);
    this.#queues.delete(topic);
    try {
      await inFlight;
      // Every member says `interrupted`, even one that never got data: no member knows whether another
      // got any. Each carries the count of records stored when it speaks.
      await writer.interrupted();
    } finally {
      await this.#resubscribe();
    }
  }

  /** Reads the registry: starts writers for new workflows, drops ended ones, and follows their topics. */
  async #poll(): Promise<void> {
    let workflows: Workflow[];
    try {
      workflows = await this.#registry.listIn('active');
    } catch (err) {
      // What cannot succeed by waiting crashes the member: supervision restarts it, within its budget.
      if (!isRetriable(err)) throw err;
      this.#ctx.log.warn({ err }, 'connector pool could not read the registry; retrying');
      return;
    }
    // Forget what the registry has caught up with: a workflow no longer running needs no memory of its end.
    const running = new Set(workflows.filter((wf) => !TERMINAL_STATUSES.has(wf.status)).map((wf) => wf.queue_id));
    for (const queueId of [...this.#ended]) if (!running.has(queueId)) this.#ended.delete(queueId);
    const served = workflows.filter((wf) => this.#serves(wf));
    const wanted = new Set(served.map((wf) => wf.kafka_topic));
    for (const topic of [...this.#writers.keys()]) {
      if (wanted.has(topic)) continue;
      this.#writers.delete(topic);
      this.#queues.delete(topic);
    }
    for (const wf of served) {
      if (this.#writers.has(wf.kafka_topic)) continue;
      const writer = new SeriesWriter(this.#deps, startCommandOf(wf, this.#deps.clock.now()), this.#ctx.log);
      await writer.open('on-first-batch');
      this.#writers.set(wf.kafka_topic, writer);
      this.#ctx.log.info({ queue_id: wf.queue_id }, 'connector pool serves workflow');
    }
    await this.#resubscribe();
  }

  #serves(wf: Workflow): boolean {
    if (TERMINAL_STATUSES.has(wf.status) || this.#ended.has(wf.queue_id)) return false;
    const stage = wf.stages[Targets.connector];
    return stage !== undefined && !ENDED_STAGE.has(stage.status);
  }

  /** One subscription for every served topic; replaced when the set changes (the group rebalances). */
  async #resubscribe(): Promise<void> {
    const topics = [...this.#writers.keys()].sort();
    if (topics.join('\n') === this.#topics.join('\n')) return;
    await this.#data?.close();
    this.#data = undefined;
    this.#topics = topics;
    if (topics.length === 0) return;
    await this.#deps.bus.ensureTopics(topics.map((name) => ({ name })));
    this.#data = await this.#deps.bus.subscribe({
      groupId: CONNECTOR_POOL_GROUP,
      topics,
      fromBeginning: true,
      maxBatchSize: this.#deps.settings.connectorBatchSize,
      handler: (messages) => this.#write(messages),
      onError: (err) => this.#ctx.fail(err),
    });
  }

  /** A batch from one partition: written by its workflow's writer, in order; committed when this resolves. */
  #write(messages: readonly BusMessage[]): Promise<void> {
    const topic = messages[0]?.topic;
    const writer = topic === undefined ? undefined : this.#writers.get(topic);
    // A topic no longer served (stopped or ended meanwhile): nothing more to write for it.
    if (topic === undefined || !writer) return Promise.resolve();
    const next = (this.#queues.get(topic) ?? Promise.resolve()).then(async () => {
      const outcome = await writer.write(messages);
      if (outcome === 'ended') {
        this.#ended.add(writer.command.queue_id);
        this.#writers.delete(topic);
        this.#queues.delete(topic);
        this.#ctx.self.tell({ type: 'poll' });
      }
    });
    this.#queues.set(topic, next.catch(() => undefined));
    return next;
  }
}

function startCommandOf(wf: Workflow, now: number): StartCommand {
  const short = wf.queue_id.slice(wf.queue_id.lastIndexOf('-') + 1);
  return {
    command: 'start',
    queue_id: wf.queue_id,
    target: Targets.connector,
    symbol: wf.symbol,
    type: wf.type,
    time_range: wf.time_range,
    kafka_topic: wf.kafka_topic,
    collection_name: wf.collection_name,
    telemetry_id: wf.stages[Targets.connector]?.telemetry_id ?? `${Targets.connector}__${short}`,
    timestamp: unixSeconds(now),
  };
}
