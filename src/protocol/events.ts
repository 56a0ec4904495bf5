import { z } from 'zod';
import { ErrorInfo } from './errors.ts';

export const EventStatuses = ['started', 'loading', 'finished', 'interrupted', 'error', 'pong'] as const;
export const EventStatus = z.enum(EventStatuses);
export type EventStatus = z.infer<typeof EventStatus>;

/** Telemetry on `queue-events`, compatible with the original; new fields are optional. */
export const TelemetryEvent = z.looseObject({
  queue_id: z.string().min(1),
  producer: z.string().min(1),
  symbol: z.string().optional(),
  type: z.string().optional(),
  status: EventStatus,
  message: z.string().optional(),
  records_written: z.number().int().nonnegative().optional(),
  finished: z.boolean().optional(),
  timestamp: z.number(),
  /** Records the stage expects in all (progress and ETA); approximate for loaders. */
  expected_records: z.number().int().nonnegative().optional(),
  error: ErrorInfo.optional(),
  /** Live streams: reconnections, REST repairs of what a disconnect missed, records those repairs fetched. */
  reconnects: z.number().int().nonnegative().optional(),
  repairs: z.number().int().nonnegative().optional(),
  repaired_records: z.number().int().nonnegative().optional(),
  /** `ws_depth`: books rebuilt after a sequence gap. */
  resyncs: z.number().int().nonnegative().optional(),
  /** Trainer: the model being trained (`gcn`, `gatv2`, `mlp`, `logistic`), its epoch and most epochs. */
  model: z.string().optional(),
  epoch: z.number().int().nonnegative().optional(),
  epochs: z.number().int().nonnegative().optional(),
  /** Trainer: the model version it stored. */
  model_id: z.string().optional(),
  /** The launch of the stage that sent this (its start command's `generation`). */
  generation: z.number().int().nonnegative().optional(),
  ping_ts: z.number().optional(),
  ponged_at: z.number().optional(),
});
export type TelemetryEvent = z.infer<typeof TelemetryEvent>;

/** Unix seconds as a float, as the original's timestamps. */
export function unixSeconds(ms: number): number {
  return ms / 1000;
}
