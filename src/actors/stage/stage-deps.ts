import type { Bus, CandleSource, Clock, HttpClient, Logger, Metrics, ModelBackend, ObjectStore, Store, WebSocketConnector } from '../ports/index.ts';
import type { BackoffPolicy } from '../retry/index.ts';

/** What every stage gets injected; the composition root builds it once. */
export interface StageDeps {
  readonly bus: Bus;
  readonly store: Store;
  readonly clock: Clock;
  readonly http: HttpClient;
  readonly ws: WebSocketConnector;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly settings: StageSettings;
  /** What graph-builders and trainers need besides; the composition root gives it to processes hosting them. */
  readonly analytics?: AnalyticsDeps;
}

export interface AnalyticsDeps {
  /** Stored candles, for the graph-builder. */
  readonly candles: CandleSource;
  /** Where models (and a trainer's checkpoints) go. */
  readonly objects: ObjectStore;
  /** The tfjs backend, initialised on first use (once per process). */
  readonly modelBackend: () => Promise<ModelBackend>;
  /** Model versions kept per universe. @defaultValue 10 */
  readonly modelKeep?: number;
  /** Recorded with each model (package version). */
  readonly codeVersion: string;
}

export interface StageSettings {
  readonly controlTopic: string;
  readonly eventsTopic: string;
  readonly binanceApiUrl: string;
  /** e.g. `wss://stream.binance.com:9443`, without a trailing slash. */
  readonly binanceWsUrl: string;
  /** e.g. `https://data.binance.vision`, without a trailing slash. */
  readonly binanceArchiveUrl: string;
  /** The largest archive zip downloaded (`ARCHIVE_MAX_DOWNLOAD_BYTES`); a larger file counts as corrupt. @defaultValue 256 MiB */
  readonly archiveMaxDownloadBytes?: number;
  /** The largest CSV an archive zip may unzip to (`ARCHIVE_MAX_UNZIPPED_BYTES`); a larger one counts as corrupt. @defaultValue 1 GiB */
  readonly archiveMaxUnzippedBytes?: number;
  /** @defaultValue 23 hours */
  readonly wsRotateMs?: number;
  /** @defaultValue 60000 */
  readonly wsStaleMs?: number;
  /** @defaultValue 60000 */
  readonly bookSnapshotIntervalMs?: number;
  /** @defaultValue 20 */
  readonly bookTopLevels?: number;
  /** How stages retry (the configuration's named policies). */
  readonly retry: StageRetryPolicies;
  readonly exchangeWeightTarget: number;
  readonly connectorBatchSize: number;
  /** Slices of a range a loader pages concurrently. @defaultValue 4 */
  readonly loaderConcurrency?: number;
  /** Least time between two `loading` events of one stage. @defaultValue 1000 */
  readonly progressIntervalMs?: number;
}

/** The stages' retry policies, named by their user; their defaults are in the configuration (`retryPolicies`). */
export interface StageRetryPolicies {
  /** One exchange REST request (network errors, 5xx, 429 and 418 within `Retry-After`): `EXCHANGE_MAX_ATTEMPTS` attempts in all. */
  readonly exchangeRequest: BackoffPolicy;
  /** One archive zip or `.CHECKSUM` download, then the file counts as missing (REST takes over). */
  readonly archiveDownload: BackoffPolicy;
  /** A lost live connection: no budget of its own (the connection attempt limit paces it); reset by the first event. */
  readonly streamReconnect: BackoffPolicy;
  /** Streams the exchange refused to subscribe: asked for again within the budget, then no more (a bad name stays bad). */
  readonly streamSubscribe: BackoffPolicy;
  /** A failed order book snapshot: asked for again later while the stream goes on being stored; reset by a snapshot. */
  readonly depthSnapshot: BackoffPolicy;
  /** A live loader's REST fill that failed after the request's own attempts: live events are held meanwhile. */
  readonly liveRestFill: BackoffPolicy;
  /** A gap in a live series that REST answered without filling (the exchange lagging, or missing it): asked again, then given up and reported. */
  readonly liveGapFill: BackoffPolicy;
}
