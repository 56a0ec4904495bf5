import { z } from 'zod';
import { ErrorInfo } from './errors.ts';
import { GnnSettings } from './gnn-params.ts';

export const WorkflowStatuses = ['pending', 'running', 'completed', 'failed', 'stopped'] as const;
export const WorkflowStatus = z.enum(WorkflowStatuses);
export type WorkflowStatus = z.infer<typeof WorkflowStatus>;

export const TERMINAL_STATUSES: ReadonlySet<WorkflowStatus> = new Set(['completed', 'failed', 'stopped']);

export const StageStatuses = ['pending', 'running', 'restarting', 'finished', 'failed', 'stopped'] as const;
export const StageStatus = z.enum(StageStatuses);
export type StageStatus = z.infer<typeof StageStatus>;

export const StageState = z.object({
  target: z.string(),
  telemetry_id: z.string(),
  status: StageStatus,
  records: z.number().int().nonnegative(),
  expected_records: z.number().int().nonnegative().optional(),
  restarts: z.number().int().nonnegative(),
  started_at: z.number().optional(),
  finished_at: z.number().optional(),
  error: ErrorInfo.optional(),
  /** Trainer: the model being fitted (`gcn`, `gatv2`, `mlp`, `logistic`), its last epoch and most epochs. */
  training: z.object({ model: z.string(), epoch: z.number().int().nonnegative(), epochs: z.number().int().nonnegative() }).optional(),
});
export type StageState = z.infer<typeof StageState>;

/** A workflow in the registry (`queues` collection) and in API answers. Times are epoch ms. */
export const Workflow = z.object({
  queue_id: z.string(),
  symbol: z.string(),
  type: z.string(),
  time_range: z.string(),
  from_ms: z.number().int(),
  to_ms: z.number().int(),
  status: WorkflowStatus,
  kafka_topic: z.string(),
  collection_name: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
  started_at: z.number().optional(),
  finished_at: z.number().optional(),
  error: ErrorInfo.optional(),
  stages: z.record(z.string(), StageState),
  /** Graph workflows (`gnn_graph`, `gnn_train`): their universe and settings; `symbol` is then `MULTI`. */
  gnn: GnnSettings.optional(),
  /** Workflows this one started to load what its universe lacked (graph workflows), and the one that started this. */
  children: z.array(z.string()).optional(),
  parent: z.string().optional(),
  /** Models a `gnn_train` workflow stored, oldest first (a live one retrains: a new version each time). */
  models: z.array(z.string()).optional(),
  /** The manager instance that supervises the workflow, and when it last said so. */
  owner: z.string().optional(),
  owner_heartbeat_at: z.number().optional(),
  /** When the workflow's own topics and consumer groups were deleted, `TOPIC_RETENTION_AFTER_FINISH_MS` after it ended. */
  topics_deleted_at: z.number().optional(),
});
export type Workflow = z.infer<typeof Workflow>;
