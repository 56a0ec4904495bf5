import { z } from 'zod';
import { Instant, TimeRangeText } from './time-range.ts';
import { MarketSymbol } from './market-symbol.ts';
import { StreamType } from './stream-type.ts';
import { Workflow } from './workflow.ts';
import { Interval } from './intervals.ts';

/** `POST /queues`: one stage type over a range, the range as the original's text or as from/to. */
export const CreateQueueBody = z.union([
  z.strictObject({ symbol: MarketSymbol, type: StreamType, time_range: TimeRangeText }),
  z.strictObject({ symbol: MarketSymbol, type: StreamType, from: Instant, to: Instant }),
]);
export type CreateQueueBody = z.infer<typeof CreateQueueBody>;

/** The original's `POST /queues/start-pipeline` body. */
export const Microservice = z.looseObject({ target: z.string().min(1), type: z.string().min(1) });
export const StartPipelineBody = z.looseObject({
  symbol: MarketSymbol,
  time_range: TimeRangeText.optional(),
  microservices: z.array(Microservice).min(1, { error: 'microservices must list at least one {target, type}' }),
});
export type StartPipelineBody = z.infer<typeof StartPipelineBody>;

export const StopQueueBody = z.object({ queue_id: z.string().min(1, { error: 'queue_id is required' }) });

export const CreateQueueResponse = z.object({
  status: z.literal('ok'),
  queue_id: z.string(),
  ids: z.record(z.string(), z.string()),
  workflow: Workflow,
});

export const QueueListResponse = z.object({ queues: z.array(Workflow) });

export const ErrorBody = z.object({ code: z.string(), message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

export const CandlesQuery = z.object({
  symbol: MarketSymbol,
  interval: Interval,
  from: Instant,
  to: Instant,
  format: z.enum(['json', 'csv']).default('json'),
  limit: z.coerce.number().int().positive().max(1_000_000).optional(),
});
export type CandlesQuery = z.infer<typeof CandlesQuery>;

/** One stored series over `[from, to)`: what `GET /records` and the gap audit are asked about. */
export const SeriesRange = z.object({ symbol: MarketSymbol, type: StreamType, from: Instant, to: Instant });

/** `GET /records`, for every stored series (candles, trades, depth), by type. */
export const RecordsQuery = SeriesRange.extend({
  format: z.enum(['json', 'csv']).default('json'),
  limit: z.coerce.number().int().positive().max(1_000_000).optional(),
});
export type RecordsQuery = z.infer<typeof RecordsQuery>;
