import { Workflow } from '../../protocol/index.ts';
import type { Store } from '../ports/index.ts';

export const QUEUES_COLLECTION = 'queues';

/** The workflow registry: one document per workflow in the `queues` collection. */
export class WorkflowRegistry {
  readonly #store: Store;
  readonly #saved: ((workflow: Workflow) => void) | undefined;

  /** @param saved told each workflow once it is saved (the console's live view of workflows) */
  constructor(store: Store, saved?: (workflow: Workflow) => void) {
    this.#store = store;
    this.#saved = saved;
  }

  async init(): Promise<void> {
    await this.#store.ensureCollection(QUEUES_COLLECTION, { sortField: 'created_at' });
  }

  async save(workflow: Workflow): Promise<void> {
    await this.#store.upsert(QUEUES_COLLECTION, [{ _key: workflow.queue_id, ...workflow }]);
    this.#saved?.(workflow);
  }

  async get(queueId: string): Promise<Workflow | undefined> {
    const doc = await this.#store.get(QUEUES_COLLECTION, queueId);
    return doc ? strip(doc) : undefined;
  }

  async list(): Promise<Workflow[]> {
    const docs = await this.#store.range(QUEUES_COLLECTION);
    return docs.map(strip).filter((w): w is Workflow => w !== undefined);
  }
}

function strip(doc: unknown): Workflow | undefined {
  const parsed = Workflow.safeParse(doc);
  return parsed.success ? parsed.data : undefined;
}
