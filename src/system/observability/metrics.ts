import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { WorkflowStatuses } from '../../protocol/index.ts';
import type { WorkflowStatus } from '../../protocol/index.ts';
import type { Metrics, PartitionLag } from '../../actors/ports/index.ts';
import { consumerGroupLabel } from './consumer-group-label.ts';

/** Workflow counts by status; undefined when they could not be read (the gauge then has no samples). */
export type WorkflowCountsSource = () => Promise<ReadonlyMap<WorkflowStatus, number> | undefined>;
/** The bus's lag per group, topic and partition; undefined when it could not be read. */
export type ConsumerLagSource = () => Promise<readonly PartitionLag[] | undefined>;

/** Every metric StreamForge exports, on a registry of its own (never the global one). */
export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #recordsWritten = new Counter({
    name: 'streamforge_records_written_total',
    help: 'Records made durable in the store',
    labelNames: ['role'],
    registers: [this.registry],
  });
  readonly #recordsFetched = new Counter({
    name: 'streamforge_records_fetched_total',
    help: 'Records fetched from the exchange',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly #exchangeDuration = new Histogram({
    name: 'streamforge_exchange_request_duration_seconds',
    help: 'Exchange REST request duration',
    labelNames: ['endpoint', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly #weightRatio = new Gauge({
    name: 'streamforge_exchange_weight_used_ratio',
    help: 'Share of the advertised request-weight budget used in the current window',
    registers: [this.registry],
  });
  readonly #restarts = new Counter({
    name: 'streamforge_actor_restarts_total',
    help: 'Actor restarts by supervision',
    labelNames: ['actor_type'],
    registers: [this.registry],
  });
  readonly #rejected = new Counter({
    name: 'streamforge_messages_rejected_total',
    help: 'Bus messages that failed their schema',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #deadLettered = new Counter({
    name: 'streamforge_dead_letters_total',
    help: 'Messages written to a dead-letter topic',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #reconnects = new Counter({
    name: 'streamforge_stream_reconnects_total',
    help: 'Live WebSocket stream reconnections by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #repaired = new Counter({
    name: 'streamforge_stream_repaired_records_total',
    help: 'Records fetched over REST to fill what a live stream missed',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly #resyncs = new Counter({
    name: 'streamforge_book_resyncs_total',
    help: 'Local order books rebuilt from a new snapshot after a sequence gap',
    labelNames: ['symbol'],
    registers: [this.registry],
  });
  readonly #liveLatency = new Histogram({
    name: 'streamforge_live_event_latency_seconds',
    help: 'From the exchange event time to the record handed to the bus',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly #archiveFiles = new Counter({
    name: 'streamforge_archive_files_total',
    help: 'Bulk archive files by outcome (ok, missing, corrupt)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  /** Set at each scrape from {@link workflowCounts}, in processes that host the manager. */
  readonly #workflows = new Gauge({
    name: 'streamforge_workflows',
    help: 'Workflows in the registry by status',
    labelNames: ['status'],
    registers: [this.registry],
    collect: () => this.#collectWorkflows(),
  });
  /** Set at each scrape from {@link consumerLag}: groups by their name's pattern (never a queue id), partitions by number. */
  readonly #consumerLag = new Gauge({
    name: 'streamforge_consumer_lag',
    help: 'Messages the consumer groups of this process are behind the end of their topics, by group name pattern and partition',
    labelNames: ['group', 'partition'],
    registers: [this.registry],
    collect: () => this.#collectConsumerLag(),
  });
  #workflowCounts: WorkflowCountsSource | undefined;
  #consumerLagSource: ConsumerLagSource | undefined;
  readonly httpRequests = new Counter({
    name: 'streamforge_http_requests_total',
    help: 'HTTP API requests',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'streamforge_http_request_duration_seconds',
    help: 'HTTP API request duration',
    labelNames: ['route', 'method'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Where `streamforge_workflows` is read from at each scrape (the registry, where the manager runs). */
  workflowCounts(source: WorkflowCountsSource): void {
    this.#workflowCounts = source;
  }

  /** Where `streamforge_consumer_lag` is read from at each scrape (the bus's groups). */
  consumerLag(source: ConsumerLagSource): void {
    this.#consumerLagSource = source;
  }

  async #collectWorkflows(): Promise<void> {
    const counts = this.#workflowCounts === undefined ? undefined : await this.#workflowCounts();
    this.#workflows.reset();
    if (counts === undefined) return;
    // Every status, zeros included: an alert on a rise of `failed` needs the series before the first failure.
    for (const status of WorkflowStatuses) this.#workflows.set({ status }, counts.get(status) ?? 0);
  }

  async #collectConsumerLag(): Promise<void> {
    const lags = this.#consumerLagSource === undefined ? undefined : await this.#consumerLagSource();
    this.#consumerLag.reset();
    if (lags === undefined) return;
    const sums = new Map<string, { group: string; partition: string; lag: number }>();
    for (const l of lags) {
      const group = consumerGroupLabel(l.groupId);
      const at = `${group}\n${l.partition}`;
      const sum = sums.get(at) ?? { group, partition: String(l.partition), lag: 0 };
      sum.lag += l.lag;
      sums.set(at, sum);
    }
    for (const { group, partition, lag } of sums.values()) this.#consumerLag.set({ group, partition }, lag);
  }

  recordsWritten(role: string, count: number): void {
    this.#recordsWritten.inc({ role }, count);
  }
  recordsFetched(source: string, count: number): void {
    this.#recordsFetched.inc({ source }, count);
  }
  exchangeRequest(endpoint: string, status: number, seconds: number): void {
    this.#exchangeDuration.observe({ endpoint, status: String(status) }, seconds);
  }
  exchangeWeightUsedRatio(ratio: number): void {
    this.#weightRatio.set(ratio);
  }
  actorRestarted(actorType: string): void {
    this.#restarts.inc({ actor_type: actorType });
  }
  messageRejected(reason: string): void {
    this.#rejected.inc({ reason });
  }
  deadLettered(reason: string): void {
    this.#deadLettered.inc({ reason });
  }
  streamReconnected(reason: string): void {
    this.#reconnects.inc({ reason });
  }
  streamRepaired(type: string, records: number): void {
    this.#repaired.inc({ type }, records);
  }
  bookResynced(symbol: string): void {
    this.#resyncs.inc({ symbol });
  }
  liveEventLatency(seconds: number): void {
    this.#liveLatency.observe(seconds);
  }
  archiveFile(outcome: string): void {
    this.#archiveFiles.inc({ outcome });
  }
}
