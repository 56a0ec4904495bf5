import { z } from 'zod';
import { Candle } from './candle.ts';
import { ErrorInfo } from './errors.ts';

/**
 * Ends a workflow's data stream. The original had none, so its connectors never finished;
 * `records` lets the connector verify that everything the loader sent is durable.
 */
export const EndOfStream = z.object({
  end_of_stream: z.literal(true),
  queue_id: z.string().min(1),
  records: z.number().int().nonnegative(),
  timestamp: z.number(),
});
export type EndOfStream = z.infer<typeof EndOfStream>;

/** What travels on `<queue_id>-data`: candle records, then one end marker. */
// Candles first: nearly every message is one, so the common case takes a single parse.
export const DataMessage = z.union([Candle, EndOfStream]);
export type DataMessage = z.infer<typeof DataMessage>;

export function isEndOfStream(m: object): m is EndOfStream {
  return 'end_of_stream' in m;
}

/** A message that could not be processed, as written to `<queue_id>-data-dlq`. */
export const DeadLetter = z.object({
  queue_id: z.string(),
  source_topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  value: z.string(),
  error: ErrorInfo,
  timestamp: z.number(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
