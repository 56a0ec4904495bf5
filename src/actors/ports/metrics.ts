/** Metrics actors record; the runtime backs them with prom-client (`streamforge_*`). */
export interface Metrics {
  recordsWritten(role: string, count: number): void;
  recordsFetched(source: string, count: number): void;
  exchangeRequest(endpoint: string, status: number, seconds: number): void;
  exchangeWeightUsedRatio(ratio: number): void;
  actorRestarted(actorType: string): void;
  messageRejected(reason: string): void;
  deadLettered(reason: string): void;
  /** A live stream reconnected; reason: `error`, `closed`, `server_shutdown`, `stale`, `rotation`. */
  streamReconnected(reason: string): void;
  /** Records fetched over REST to fill what a live stream missed. */
  streamRepaired(type: string, records: number): void;
  /** A local order book was discarded and rebuilt from a new snapshot. */
  bookResynced(symbol: string): void;
  /** From the exchange's event time to the record being handed to the bus. */
  liveEventLatency(seconds: number): void;
  /** An archive file read: `ok`, `missing`, `corrupt`. */
  archiveFile(outcome: string): void;
}
