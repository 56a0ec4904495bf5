/** What a subscriber of live exchange streams is told. */
export interface LiveStreamEvents {
  /**
   * One event of a subscribed stream (unwrapped from the combined stream's `{stream, data}`), as parsed
   * JSON. While a connection is rotated with an overlapping one, an event may arrive twice: subscribers
   * drop what they already have (by trade id, open time or update id).
   */
  onEvent(stream: string, data: unknown, receivedAtMs: number): void;
  /** The connection carrying these streams was lost: events from now until `onLive` may be missing. */
  onDisconnect(reason: string): void;
  /** The streams are live (first time, and again after each disconnect): repair what was missed from here. */
  onLive(): void;
}

export interface LiveSubscription {
  close(): void;
}

/** Live exchange streams shared by the stages of one process: many streams per connection (combined streams). */
export interface LiveStreams {
  /** Stream names as the exchange spells them, e.g. `btcusdt@aggTrade`, `btcusdt@kline_1m`, `btcusdt@depth@100ms`. */
  subscribe(streams: readonly string[], events: LiveStreamEvents): LiveSubscription;
}
