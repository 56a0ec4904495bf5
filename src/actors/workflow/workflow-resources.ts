import { connectorGroupId, deadLetterTopicOf, stageControlGroupId, trainerGroupId } from '../../protocol/index.ts';
import type { Workflow } from '../../protocol/index.ts';

/** What a workflow owns on the bus, and no other workflow uses: deleted a retention after it ended. */
export interface WorkflowBusResources {
  /** Its data (or graph-features) topic and that topic's dead letters: only topics named `<queue_id>-…`. */
  readonly topics: readonly string[];
  /** Its consumers' groups: the connector's or trainer's on its topic, and each stage's on `queue-control`. */
  readonly groups: readonly string[];
}

export function workflowBusResources(wf: Workflow): WorkflowBusResources {
  // A topic not named after the workflow (never, as the manager names them) is shared: it stays.
  const topics = [wf.kafka_topic, deadLetterTopicOf(wf.kafka_topic)].filter((t) => t.startsWith(`${wf.queue_id}-`));
  const groups = [connectorGroupId(wf.queue_id), trainerGroupId(wf.queue_id), ...Object.values(wf.stages).map((s) => stageControlGroupId(s.telemetry_id))];
  return { topics, groups };
}
