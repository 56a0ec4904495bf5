import type { Bus, Clock, HttpClient, Logger, Metrics, Store, WebSocketConnector } from '../ports/index.ts';

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
}

export interface StageSettings {
  readonly controlTopic: string;
  readonly eventsTopic: string;
  readonly binanceApiUrl: string;
  /** e.g. `wss://stream.binance.com:9443`, without a trailing slash. */
  readonly binanceWsUrl: string;
  /** e.g. `https://data.binance.vision`, without a trailing slash. */
  readonly binanceArchiveUrl: string;
  /** @defaultValue 23 hours */
  readonly wsRotateMs?: number;
  /** @defaultValue 60000 */
  readonly wsStaleMs?: number;
  /** @defaultValue 60000 */
  readonly bookSnapshotIntervalMs?: number;
  /** @defaultValue 20 */
  readonly bookTopLevels?: number;
  readonly exchangeMaxAttempts: number;
  readonly exchangeWeightTarget: number;
  readonly connectorBatchSize: number;
  /** Slices of a range a loader pages concurrently. @defaultValue 4 */
  readonly loaderConcurrency?: number;
  /** Least time between two `loading` events of one stage. @defaultValue 1000 */
  readonly progressIntervalMs?: number;
}
