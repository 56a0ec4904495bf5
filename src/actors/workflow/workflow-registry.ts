import { TERMINAL_STATUSES, Workflow } from '../../protocol/index.ts';
import type { Store, StoredDocument } from '../ports/index.ts';

export const QUEUES_COLLECTION = 'queues';

/**
 * Where a workflow stands for the lookups the manager and the connector pool make, stored beside it
 * (field `lifecycle`, indexed) so that they read the few workflows concerned, never the whole
 * registry: `active` until it ends, `retained` while its topics are kept after it ended,
 * `released` once they are deleted.
 */
export const WorkflowLifecycles = ['active', 'retained', 'released'] as const;
export type WorkflowLifecycle = (typeof WorkflowLifecycles)[number];

const LIFECYCLE_FIELD = 'lifecycle';

export function lifecycleOf(wf: Workflow): WorkflowLifecycle {
  if (!TERMINAL_STATUSES.has(wf.status)) return 'active';
  return wf.topics_deleted_at === undefined ? 'retained' : 'released';
}

/** The workflow registry: one document per workflow in the `queues` collection. */
export class WorkflowRegistry {
  readonly #store: Store;
  readonly #saved: ((workflow: Workflow) => void) | undefined;

  /** @param saved told each workflow once it is saved (the console's live view of workflows) */
  constructor(store: Store, saved?: (workflow: Workflow) => void) {
    this.#store = store;
    this.#saved = saved;
  }

  /** Creates the collection and its index; documents an older StreamForge wrote get their `lifecycle` (once). */
  async init(): Promise<void> {
    await this.#store.ensureCollection(QUEUES_COLLECTION, { sortField: 'created_at', indexedFields: [LIFECYCLE_FIELD] });
    for (const doc of await this.#store.findWhere(QUEUES_COLLECTION, LIFECYCLE_FIELD, [null])) {
      const wf = strip(doc);
      // Conditional, so that a write another process made meanwhile is not undone.
      if (wf) await this.#store.compareAndSet(QUEUES_COLLECTION, documentOf(wf), { [LIFECYCLE_FIELD]: null, updated_at: wf.updated_at });
    }
  }

  async save(workflow: Workflow): Promise<void> {
    await this.#store.upsert(QUEUES_COLLECTION, [documentOf(workflow)]);
    this.#saved?.(workflow);
  }

  /**
   * Saves the workflow only while `owner` still owns it: a supervisor whose workflow another manager
   * adopted (after this one stalled for a lease) cannot write over the new owner's state.
   * Resolves false when it was not saved.
   */
  async saveAsOwner(workflow: Workflow, owner: string): Promise<boolean> {
    const saved = await this.#store.compareAndSet(QUEUES_COLLECTION, documentOf({ ...workflow, owner }), { owner });
    if (saved) this.#saved?.({ ...workflow, owner });
    return saved;
  }

  /**
   * Claims the workflow for `owner`, as read in `seen`: a compare-and-set on its owner, heartbeat,
   * status and last update, so that of several managers claiming it at once exactly one succeeds.
   * Resolves with the claimed workflow, or undefined when another write came first.
   */
  async claim(seen: Workflow, owner: string, now: number): Promise<Workflow | undefined> {
    const claimed: Workflow = { ...seen, owner, owner_heartbeat_at: now };
    const won = await this.#store.compareAndSet(QUEUES_COLLECTION, documentOf(claimed), {
      owner: seen.owner ?? null,
      owner_heartbeat_at: seen.owner_heartbeat_at ?? null,
      status: seen.status,
      updated_at: seen.updated_at,
    });
    if (won) this.#saved?.(claimed);
    return won ? claimed : undefined;
  }

  /** Records that the workflow's topics are deleted (once: a second call for the same state changes nothing). */
  async markTopicsDeleted(workflow: Workflow, at: number): Promise<boolean> {
    return this.#store.compareAndSet(QUEUES_COLLECTION, documentOf({ ...workflow, topics_deleted_at: at }), {
      topics_deleted_at: null,
      updated_at: workflow.updated_at,
    });
  }

  async get(queueId: string): Promise<Workflow | undefined> {
    const doc = await this.#store.get(QUEUES_COLLECTION, queueId);
    return doc ? strip(doc) : undefined;
  }


  /** The workflows at one point of their lifecycle (e.g. those not ended), oldest first, through the index. */
  async listIn(lifecycle: WorkflowLifecycle): Promise<Workflow[]> {
    return parsed(await this.#store.findWhere(QUEUES_COLLECTION, LIFECYCLE_FIELD, [lifecycle]));
  }
}

function documentOf(workflow: Workflow): StoredDocument {
  return { _key: workflow.queue_id, ...workflow, [LIFECYCLE_FIELD]: lifecycleOf(workflow) };
}

function parsed(docs: readonly StoredDocument[]): Workflow[] {
  return docs.map(strip).filter((w): w is Workflow => w !== undefined);
}

function strip(doc: unknown): Workflow | undefined {
  const parsed = Workflow.safeParse(doc);
  return parsed.success ? parsed.data : undefined;
}
