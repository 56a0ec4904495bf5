import { StreamForgeError, ErrorCodes } from '../../protocol/index.ts';
import type { Workflow } from '../../protocol/index.ts';
import type { ActorRef, CreateWorkflowRequest, ManagerMessage } from '../../actors/index.ts';

/** Request/response over the manager actor's mailbox, with a deadline. */
export class ManagerClient {
  readonly #manager: ActorRef<ManagerMessage>;
  readonly #timeoutMs: number;

  constructor(manager: ActorRef<ManagerMessage>, timeoutMs = 15_000) {
    this.#manager = manager;
    this.#timeoutMs = timeoutMs;
  }

  create(request: CreateWorkflowRequest): Promise<Workflow> {
    return this.#ask((reply) => ({ type: 'create', request, reply }));
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
