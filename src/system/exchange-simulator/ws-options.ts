/** Options of the simulator's WebSocket server. */
export interface WsOptions {
  /** How often the server pings each connection. @defaultValue 20000 */
  readonly pingIntervalMs?: number;
  /**
   * A connection that has not answered a ping for this long is terminated.
   * @defaultValue the smaller of 60000 and 3 × pingIntervalMs
   */
  readonly pongTimeoutMs?: number;
  /** Forced rotation: the server closes a connection this long after it opened. @defaultValue 86400000 (24 h) */
  readonly maxConnectionMs?: number;
  /** Event batching period: every tick sends the events with a time in (last tick, now]. @defaultValue 50 */
  readonly tickMs?: number;
  /** One order-book change batch (one `depthUpdate` on `@depth@100ms`) per this many ms. @defaultValue 100 */
  readonly depthIntervalMs?: number;
  /** Expected abrupt disconnects per open connection per minute (seeded fault stream). @defaultValue 0 */
  readonly randomDisconnectPerMinute?: number;
  /**
   * Bench only: synthetic aggTrade events for `symbol` on `<symbol>@aggTrade` at this rate, ids
   * consecutive from 1, E = T = now. They replace that stream's regular data: REST is NOT consistent with them.
   */
  readonly firehose?: { readonly symbol: string; readonly eventsPerSecond: number };
  /** Incoming messages (text frames and pings) allowed per second per connection before it is closed. @defaultValue 5 */
  readonly maxIncomingPerSecond?: number;
  /** Streams one connection may hold. @defaultValue 1024 */
  readonly maxStreamsPerConnection?: number;
  /** Accepted connection attempts per `connectionAttemptWindowMs`; more get HTTP 429. @defaultValue 300 */
  readonly connectionAttemptLimit?: number;
  /** @defaultValue 300000 (5 minutes) */
  readonly connectionAttemptWindowMs?: number;
}

/** WebSocket options with defaults applied. */
export interface ResolvedWsOptions {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly maxConnectionMs: number;
  readonly tickMs: number;
  readonly depthIntervalMs: number;
  readonly randomDisconnectPerMinute: number;
  readonly firehose: { readonly symbol: string; readonly eventsPerSecond: number } | undefined;
  readonly maxIncomingPerSecond: number;
  readonly maxStreamsPerConnection: number;
  readonly connectionAttemptLimit: number;
  readonly connectionAttemptWindowMs: number;
}

const DAY_MS = 86_400_000;
const MAX_PONG_WAIT_MS = 60_000;

function positive(problems: string[], name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) problems.push(`ws.${name} must be a positive number, got ${value}`);
  return value;
}

function positiveInteger(problems: string[], name: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0)) problems.push(`ws.${name} must be a positive integer, got ${value}`);
  return value;
}

/** Applies the WebSocket defaults, adding every violation to `problems`. */
export function resolveWsOptions(ws: WsOptions, listed: ReadonlyMap<string, unknown>, problems: string[]): ResolvedWsOptions {
  const pingIntervalMs = positive(problems, 'pingIntervalMs', ws.pingIntervalMs ?? 20_000);
  const randomDisconnectPerMinute = ws.randomDisconnectPerMinute ?? 0;
  if (!(randomDisconnectPerMinute >= 0)) problems.push('ws.randomDisconnectPerMinute must be >= 0');
  const firehose = ws.firehose;
  if (firehose !== undefined) {
    if (!listed.has(firehose.symbol)) problems.push(`ws.firehose.symbol ${JSON.stringify(firehose.symbol)} is not listed`);
    positive(problems, 'firehose.eventsPerSecond', firehose.eventsPerSecond);
  }
  return {
    pingIntervalMs,
    pongTimeoutMs: positive(problems, 'pongTimeoutMs', ws.pongTimeoutMs ?? Math.min(MAX_PONG_WAIT_MS, 3 * pingIntervalMs)),
    maxConnectionMs: positive(problems, 'maxConnectionMs', ws.maxConnectionMs ?? DAY_MS),
    tickMs: positive(problems, 'tickMs', ws.tickMs ?? 50),
    depthIntervalMs: positive(problems, 'depthIntervalMs', ws.depthIntervalMs ?? 100),
    randomDisconnectPerMinute,
    firehose: firehose === undefined ? undefined : { symbol: firehose.symbol, eventsPerSecond: firehose.eventsPerSecond },
    maxIncomingPerSecond: positiveInteger(problems, 'maxIncomingPerSecond', ws.maxIncomingPerSecond ?? 5),
    maxStreamsPerConnection: positiveInteger(problems, 'maxStreamsPerConnection', ws.maxStreamsPerConnection ?? 1024),
    connectionAttemptLimit: positiveInteger(problems, 'connectionAttemptLimit', ws.connectionAttemptLimit ?? 300),
    connectionAttemptWindowMs: positive(problems, 'connectionAttemptWindowMs', ws.connectionAttemptWindowMs ?? 300_000),
  };
}
