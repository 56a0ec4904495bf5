import { QUEUES_COLLECTION } from '../../actors/index.ts';
import type { Store } from '../../actors/index.ts';
import { Workflow } from '../../protocol/index.ts';
import type { WorkflowStatus } from '../../protocol/index.ts';
import { collectionDocuments } from './collection-pages.ts';

/** Workflows in the registry by status: the registry read a page at a time (for `streamforge_workflows`). */
export async function countWorkflowsByStatus(store: Store): Promise<Map<WorkflowStatus, number>> {
  const counts = new Map<WorkflowStatus, number>();
  for await (const doc of collectionDocuments(store, QUEUES_COLLECTION, { pageSize: 1_000 })) {
    const wf = Workflow.safeParse(doc);
    if (wf.success) counts.set(wf.data.status, (counts.get(wf.data.status) ?? 0) + 1);
  }
  return counts;
}
