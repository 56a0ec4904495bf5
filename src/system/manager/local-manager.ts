import { StreamForgeError, ErrorCodes } from '../../protocol/index.ts';
import type { Workflow } from '../../protocol/index.ts';
import { WorkflowRegistry } from '../../actors/index.ts';
import type { ActorRef, CreateWorkflowRequest, ManagerMessage, Store } from '../../actors/index.ts';
import type { WorkflowManager } from './workflow-manager.ts';

/**
 * The manager actor of this process: requests go to its mailbox and wait for its reply, with a
 * deadline; reads go to the workflow registry in the store.
 */
export class LocalManager implements WorkflowManager {
  readonly where = 'this process';
  readonly #manager: ActorRef<ManagerMessage>;
  readonly #registry: WorkflowRegistry;
  readonly #timeoutMs: number;

  /** @param timeoutMs how long a request waits for the manager's reply. @defaultValue 15000 */
  constructor(manager: ActorRef<ManagerMessage>, store: Store, timeoutMs = 15_000) {
    this.#manager = manager;
    this.#registry = new WorkflowRegistry(store);
    this.#timeoutMs = timeoutMs;
  }

  create(request: CreateWorkflowRequest): Promise<Workflow> {
    return this.#ask((reply) => ({ type: 'create', request, reply }));
  }

  get(queueId: string): Promise<Workflow | undefined> {
    return this.#registry.get(queueId);
  }

  stop(queueId: string): Promise<Workflow> {
    return this.#ask((reply) => ({ type: 'stop', queueId, reply }));
  }

  #ask(build: (reply: (r: { ok: true; value: Workflow } | { ok: false; error: StreamForgeError }) => void) => ManagerMessage): Promise<Workflow> {
    return new Promise<Workflow>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StreamForgeError(ErrorCodes.UNAVAILABLE, 'the manager did not answer in time (is its bus or store reachable?); try again shortly', { retriable: true })),
        this.#timeoutMs,
      );
      this.#manager.tell(
        build((r) => {
          clearTimeout(timer);
          if (r.ok) resolve(r.value);
          else reject(r.error);
        }),
      );
    });
  }
}
