import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../../actors/ports/index.ts';

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
  readonly workflows = new Gauge({
    name: 'streamforge_workflows',
    help: 'Workflows known to this manager by status',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'streamforge_consumer_lag',
    help: 'Messages behind the end of the topic',
    labelNames: ['topic'],
    registers: [this.registry],
  });
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
