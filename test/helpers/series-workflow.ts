import { formatTimeRange, Targets, telemetryId, workflowNames } from '../../src/protocol/index.ts';
import type { StageStatus, Workflow } from '../../src/protocol/index.ts';

/** The range of {@link seriesWorkflow}: three 1m candles. */
export const SERIES_WORKFLOW_FROM_MS = Date.parse('2024-06-03T00:00:00Z');
export const SERIES_WORKFLOW_TO_MS = SERIES_WORKFLOW_FROM_MS + 3 * 60_000;

/**
 * A data workflow (loader and connector, three 1m candles of `symbol`) as the registry holds it:
 * `status`, last written at `updated_at` (also its creation), its stages in `stageStatus`; any
 * other field as given.
 */
export function seriesWorkflow(symbol: string, fields: Pick<Workflow, 'status' | 'updated_at'> & Partial<Workflow>, stageStatus: StageStatus = 'pending'): Workflow {
  const names = workflowNames(symbol, 'api_candles_1m', SERIES_WORKFLOW_FROM_MS);
  const stage = (target: string) => ({ target, telemetry_id: telemetryId(target, names.shortId), status: stageStatus, records: 0, restarts: 0 });
  return {
    queue_id: names.queueId,
    symbol,
    type: 'api_candles_1m',
    time_range: formatTimeRange({ fromMs: SERIES_WORKFLOW_FROM_MS, toMs: SERIES_WORKFLOW_TO_MS }),
    from_ms: SERIES_WORKFLOW_FROM_MS,
    to_ms: SERIES_WORKFLOW_TO_MS,
    kafka_topic: names.dataTopic,
    collection_name: names.collectionName,
    created_at: fields.updated_at,
    stages: { [Targets.loader]: stage(Targets.loader), [Targets.connector]: stage(Targets.connector) },
    ...fields,
  };
}
