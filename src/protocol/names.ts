import { randomBytes } from 'node:crypto';

/** Names the original contract fixes: queue ids, collections, topics and telemetry ids. */
export interface WorkflowNames {
  readonly queueId: string;
  readonly dataTopic: string;
  readonly deadLetterTopic: string;
  readonly collectionName: string;
  readonly shortId: string;
}

function yyyymmdd(ms: number, sep: string): string {
  const d = new Date(ms).toISOString().slice(0, 10);
  return d.replaceAll('-', sep);
}

export function newShortId(): string {
  return randomBytes(3).toString('hex');
}

/** `wf-<symbol lower>-<type>-<YYYYMMDD of range start>-<6 hex>` and the names derived from it. */
export function workflowNames(symbol: string, type: string, fromMs: number, shortId = newShortId()): WorkflowNames {
  const queueId = `wf-${symbol.toLowerCase()}-${type}-${yyyymmdd(fromMs, '')}-${shortId}`;
  return {
    queueId,
    dataTopic: `${queueId}-data`,
    deadLetterTopic: deadLetterTopicOf(`${queueId}-data`),
    collectionName: `${symbol.toLowerCase()}_${type}_${yyyymmdd(fromMs, '_')}`,
    shortId,
  };
}

/** Where a connector puts what it could not store from `topic`. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}-dlq`;
}

/** The consumer group of a workflow's connector on its data topic. */
export function connectorGroupId(queueId: string): string {
  return `streamforge-connector-${queueId}`;
}

/** The consumer group of a workflow's trainer on its graph-features topic. */
export function trainerGroupId(queueId: string): string {
  return `streamforge-trainer-${queueId}`;
}

/** The consumer group of one stage on `queue-control` (the stage's own: every stage reads every command). */
export function stageControlGroupId(telemetryId: string): string {
  return `streamforge-${telemetryId}-control`;
}

/** The short id is the queue id's last segment. */
export function shortIdOf(queueId: string): string {
  return queueId.slice(queueId.lastIndexOf('-') + 1);
}

/** Prefix of every collection that holds a series, whatever workflow wrote it. */
export function seriesCollectionPrefix(symbol: string, type: string): string {
  return `${symbol.toLowerCase()}_${type}_`;
}
