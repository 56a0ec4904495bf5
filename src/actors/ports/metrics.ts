/** Metrics actors record; the runtime backs them with prom-client (`streamforge_*`). */
export interface Metrics {
  recordsWritten(role: string, count: number): void;
  recordsFetched(source: string, count: number): void;
  exchangeRequest(endpoint: string, status: number, seconds: number): void;
  exchangeWeightUsedRatio(ratio: number): void;
  actorRestarted(actorType: string): void;
  messageRejected(reason: string): void;
  deadLettered(reason: string): void;
}
