import { z } from 'zod';
import { Instant, TimeRangeText } from './time-range.ts';
import { MarketSymbol } from './market-symbol.ts';
import { StreamType } from './stream-type.ts';
import { Workflow } from './workflow.ts';
import { Interval } from './intervals.ts';
import { Candle } from './candle.ts';
import { UniverseSymbols } from './gnn-params.ts';

/** `POST /queues`: one stage type over a range, the range as the original's text or as from/to. */
export const CreateQueueBody = z.union([
  z.strictObject({ symbol: MarketSymbol, type: StreamType, time_range: TimeRangeText }),
  z.strictObject({ symbol: MarketSymbol, type: StreamType, from: Instant, to: Instant }),
]);
export type CreateQueueBody = z.infer<typeof CreateQueueBody>;

/** The original's `POST /queues/start-pipeline` body. */
export const Microservice = z.looseObject({ target: z.string().min(1), type: z.string().min(1) });
export const StartPipelineBody = z.looseObject({
  /** Market-data pipelines: their symbol. */
  symbol: MarketSymbol.optional(),
  /** Graph pipelines (`gnn_graph`, `gnn_train`): their universe and interval. */
  symbols: UniverseSymbols.optional(),
  interval: Interval.optional(),
  time_range: TimeRangeText.optional(),
  microservices: z.array(Microservice).min(1, { error: 'microservices must list at least one {target, type}' }),
});
export type StartPipelineBody = z.infer<typeof StartPipelineBody>;

export const StopQueueBody = z.object({ queue_id: z.string().min(1, { error: 'queue_id is required' }) });

/** `/queues/{queue_id}` and `/queues/{queue_id}/stop`. */
export const QueueIdParams = z.object({ queue_id: z.string().min(1) });

export const CreateQueueResponse = z.object({
  status: z.literal('ok'),
  queue_id: z.string(),
  ids: z.record(z.string(), z.string()),
  workflow: Workflow,
});

/** `GET /queues/list`, the original's whole list (the newest 1,000). */
export const QueueListResponse = z.object({ queues: z.array(Workflow) });

export const ErrorBody = z.object({ code: z.string(), message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** What a probe answers. */
export const HealthBody = z.object({ status: z.string() });

/** The most records one `format=json` answer holds; `next` continues. */
export const MAX_JSON_PAGE = 10_000;
/** The most records a `csv` or `ndjson` stream writes (and the default `limit`). */
export const MAX_STREAMED_RECORDS = 1_000_000;

/**
 * Where the previous page ended: the `next` of an answer, passed back as `after`. Opaque to the
 * caller (base64url), read by the server that wrote it.
 */
export const PageCursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,1024}$/, { error: 'invalid cursor; accepted: the `next` value of a previous answer, unchanged' });

/** The output of a series read: a CSV table, one JSON object per line, or JSON pages with a cursor. */
export const SeriesFormat = z.enum(['json', 'csv', 'ndjson'], {
  error: (issue) => `invalid format ${JSON.stringify(issue.input)}; accepted: json csv ndjson`,
});
export type SeriesFormat = z.infer<typeof SeriesFormat>;

const seriesPaging = {
  format: SeriesFormat.default('json'),
  /** At most this many records: a stream's total (csv, ndjson), a page's size (json, at most 10,000). */
  limit: z.coerce
    .number({ error: `expected a whole number from 1 to ${MAX_STREAMED_RECORDS}` })
    .int()
    .positive()
    .max(MAX_STREAMED_RECORDS)
    .optional(),
  after: PageCursor.optional(),
};

export const CandlesQuery = z.object({ symbol: MarketSymbol, interval: Interval, from: Instant, to: Instant, ...seriesPaging });
export type CandlesQuery = z.infer<typeof CandlesQuery>;

/** One stored series over `[from, to)`: what `GET /records` and the gap audit are asked about. */
export const SeriesRange = z.object({ symbol: MarketSymbol, type: StreamType, from: Instant, to: Instant });

/** `GET /records`, for every stored series (candles, trades, depth), by type. */
export const RecordsQuery = SeriesRange.extend(seriesPaging);
export type RecordsQuery = z.infer<typeof RecordsQuery>;

/** A candle as the API and CLI print it: its columns, without the series fields the query names. */
export const CandleRow = Candle.omit({ symbol: true, interval: true });

/** One page of `GET /candles?format=json`. */
export const CandlesPage = z.object({
  symbol: z.string(),
  interval: z.string(),
  count: z.number().int().nonnegative(),
  candles: z.array(CandleRow),
  /** Present when more records follow: pass it as `after`. */
  next: z.string().optional(),
});

/** One page of `GET /records?format=json`: each record's columns (candles, trades, depth). */
export const RecordsPage = z.object({
  symbol: z.string(),
  type: z.string(),
  count: z.number().int().nonnegative(),
  records: z.array(z.record(z.string(), z.unknown())),
  next: z.string().optional(),
});

/** The most workflows one `GET /queues` answer holds. */
export const MAX_QUEUE_PAGE = 1_000;

/** `GET /queues`: newest first, a page at a time. */
export const QueuesQuery = z.object({
  limit: z.coerce
    .number({ error: `expected a whole number from 1 to ${MAX_QUEUE_PAGE}` })
    .int()
    .positive()
    .max(MAX_QUEUE_PAGE)
    .default(MAX_QUEUE_PAGE),
  after: PageCursor.optional(),
});

export const QueuePage = z.object({ queues: z.array(Workflow), next: z.string().optional() });
