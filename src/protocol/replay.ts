import { z } from 'zod';
import { MarketSymbol } from './market-symbol.ts';
import { StreamType } from './stream-type.ts';
import { Instant } from './time-range.ts';

/** How fast a replay goes: `max` as fast as the sink takes, or a factor of event time (1 = as it happened). */
export const REPLAY_SPEEDS_ACCEPTED = 'max, or a factor of event time from 0.001 to 1000000 (1 = as it happened, 10 = ten times faster)';

/** `max`, or a positive factor, from text (the CLI's `--speed`) or a JSON number or string. */
export const ReplaySpeed = z.union([z.literal('max'), z.number(), z.string()]).transform((value, ctx): 'max' | number => {
  if (value === 'max') return 'max';
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (Number.isFinite(n) && n >= 0.001 && n <= 1_000_000) return n;
  ctx.addIssue({ code: 'custom', message: `invalid speed ${JSON.stringify(value)}; accepted: ${REPLAY_SPEEDS_ACCEPTED}` });
  return z.NEVER;
});
export type ReplaySpeed = z.output<typeof ReplaySpeed>;

/** `record`: one JSON record per message, as data topics carry them; `batch`: a JSON array per message. */
export const ReplayMessageFormats = ['record', 'batch'] as const;
export const ReplayMessageFormat = z.enum(ReplayMessageFormats, {
  error: (issue) => `invalid message_format ${JSON.stringify(issue.input)}; accepted: ${ReplayMessageFormats.join(', ')}`,
});
export type ReplayMessageFormat = z.infer<typeof ReplayMessageFormat>;

/** At most this many symbols in one replay. */
export const MAX_REPLAY_SYMBOLS = 200;

/** A Kafka topic name as Kafka accepts it. */
export const ReplayTopic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, { error: 'invalid topic; accepted: 1-249 letters, digits, ".", "_" or "-"' });

/** A TCP port to listen on (0: any free one, told in the status). */
export const ReplayPort = z.number().int().min(0, { error: 'invalid ws_port; accepted: 0 to 65535' }).max(65_535, { error: 'invalid ws_port; accepted: 0 to 65535' });

/** `POST /replays`: stored records of several symbols, merged in event-time order, into a topic or onto a WebSocket. */
export const ReplayBody = z
  .strictObject({
    symbols: z.array(MarketSymbol).min(1, { error: 'symbols: at least one symbol' }).max(MAX_REPLAY_SYMBOLS, { error: `symbols: at most ${MAX_REPLAY_SYMBOLS}` }),
    type: StreamType,
    from: Instant,
    to: Instant,
    topic: ReplayTopic.optional(),
    ws_port: ReplayPort.optional(),
    speed: ReplaySpeed.default('max'),
    message_format: ReplayMessageFormat.default('record'),
    fail_on_holes: z.boolean().default(false),
  })
  .refine((b) => b.from < b.to, { error: 'from must be before to (the range is half-open: [from, to))', path: ['from'] })
  .refine((b) => (b.topic === undefined) !== (b.ws_port === undefined), { error: 'give exactly one of topic (a Kafka topic) and ws_port (a local WebSocket)', path: ['topic'] });
export type ReplayBody = z.infer<typeof ReplayBody>;

export const ReplayStatuses = ['pending', 'running', 'completed', 'failed', 'stopped'] as const;
export const ReplayStatusName = z.enum(ReplayStatuses);
export type ReplayStatusName = z.infer<typeof ReplayStatusName>;

/** A hole in a stored series, found from the store alone: a span of time (and of ids, for trades and depth updates). */
export const ReplayHole = z.object({
  symbol: z.string(),
  from: z.string(),
  to: z.string(),
  from_ms: z.number(),
  to_ms: z.number(),
  /** Missing candles or missing ids. */
  count: z.number().int().nonnegative(),
  from_id: z.number().int().optional(),
  to_id: z.number().int().optional(),
});
export type ReplayHole = z.infer<typeof ReplayHole>;

export const ReplayIdParams = z.object({ id: z.string().min(1) });

/** `GET /replays/{id}` (and the 202 of `POST /replays`). */
export const ReplayStatusBody = z.object({
  id: z.string(),
  status: ReplayStatusName,
  symbols: z.array(z.string()),
  type: z.string(),
  from: z.string(),
  to: z.string(),
  sink: z.union([z.object({ topic: z.string() }), z.object({ ws_port: z.number().int() })]),
  speed: z.union([z.literal('max'), z.number()]),
  message_format: ReplayMessageFormat,
  /** Records sent so far. */
  records: z.number().int().nonnegative(),
  /** The event time of the last record sent: the replayed clock. */
  replayed_to: z.string().optional(),
  replayed_to_ms: z.number().optional(),
  /** Holes in the stored range, found before the replay started. */
  holes: z.array(ReplayHole),
  started_at: z.string(),
  finished_at: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type ReplayStatusBody = z.infer<typeof ReplayStatusBody>;
