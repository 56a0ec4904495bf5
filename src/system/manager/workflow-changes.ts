import type { Workflow } from '../../protocol/index.ts';

/**
 * The workflows the manager of this process saves, as they are saved: what `GET /events` streams
 * as `workflow` events (status, stage states, records, restarts, errors), so the console follows a
 * workflow from `running` to `completed` without reading the registry again.
 */
export class WorkflowChanges {
  readonly #listeners = new Set<(workflow: Workflow) => void>();

  /** Calls `listener` with every workflow saved from now on; returns what stops it. */
  listen(listener: (workflow: Workflow) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  saved(workflow: Workflow): void {
    for (const listener of this.#listeners) listener(workflow);
  }
}
