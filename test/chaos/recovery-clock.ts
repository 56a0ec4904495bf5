import type { Store, WorkflowRegistry } from '../../src/actors/index.ts';
import { targetOf } from '../../src/protocol/index.ts';
import type { StageRole, Workflow } from '../../src/protocol/index.ts';
import { countStored } from './stored-documents.ts';

/** A fault whose recovery is being watched. */
interface OpenFault {
  readonly at: number;
  readonly wf: Workflow;
  /** The stage the fault hit, whose relaunch must be on record before progress counts, if any. */
  readonly role: StageRole | undefined;
  readonly restartsAtFault: number;
  readonly storedAtFault: number;
}

/**
 * Measures recovery: fault → progress again, i.e. the faulted workflow's stored records growing past
 * what they were at the fault, after the supervisor relaunched the stage the fault hit (if it hit one:
 * records a killed loader's connector drains from the topic meanwhile are not recovery).
 * Call `poll()` every few hundred ms; recoveries in ms come out of `recoveredMs`.
 */
export class RecoveryClock {
  readonly #store: Store;
  readonly #registry: WorkflowRegistry;
  readonly #open: OpenFault[] = [];
  readonly recoveredMs: number[] = [];

  constructor(store: Store, registry: WorkflowRegistry) {
    this.#store = store;
    this.#registry = registry;
  }

  /** Records a fault on `wf` at `at` (a stage process killed or stopped, a fault window opened). */
  async fault(wf: Workflow, at: number, role?: StageRole): Promise<void> {
    const restartsAtFault = role === undefined ? 0 : await this.#restarts(wf, role);
    this.#open.push({ at, wf, role, restartsAtFault, storedAtFault: await countStored(this.#store, wf.collection_name) });
  }

  /** Closes the faults whose workflow progressed since. */
  async poll(now = Date.now()): Promise<void> {
    for (const f of [...this.#open]) {
      if (f.role !== undefined && (await this.#restarts(f.wf, f.role)) <= f.restartsAtFault) continue;
      if ((await countStored(this.#store, f.wf.collection_name)) <= f.storedAtFault) continue;
      this.recoveredMs.push(now - f.at);
      this.#open.splice(this.#open.indexOf(f), 1);
    }
  }

  /** Faults still waiting for progress (e.g. their workflow had already stored everything). */
  get pending(): number {
    return this.#open.length;
  }

  async #restarts(wf: Workflow, role: StageRole): Promise<number> {
    return (await this.#registry.get(wf.queue_id))?.stages[targetOf(role)]?.restarts ?? 0;
  }
}
