import { QUEUES_COLLECTION } from '../../actors/index.ts';
import type { Store } from '../../actors/index.ts';
import { Workflow } from '../../protocol/index.ts';
import { decodeCursor, encodeCursor } from './page-cursor.ts';

export interface QueuePage {
  readonly queues: Workflow[];
  /** Continues with the next older workflows; absent on the last page. */
  readonly next?: string;
}

/**
 * One page of the workflow registry, newest first (by `created_at`, then queue id): one store read.
 * A document that is not a workflow is skipped, so a page may hold fewer than `limit`.
 */
export async function queuePage(store: Store, q: { readonly limit: number; readonly after?: string }): Promise<QueuePage> {
  const after = q.after === undefined ? undefined : decodeCursor(q.after, ['number', 'string'] as const);
  const page = await store.rangePage(QUEUES_COLLECTION, {
    limit: q.limit,
    descending: true,
    ...(after === undefined ? {} : { after: { sort: after[0], key: after[1] } }),
  });
  const queues = page.documents.flatMap((doc) => {
    const wf = Workflow.safeParse(doc);
    return wf.success ? [wf.data] : [];
  });
  return page.next === undefined ? { queues } : { queues, next: encodeCursor([page.next.sort, page.next.key]) };
}
