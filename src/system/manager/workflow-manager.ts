import type { Workflow } from '../../protocol/index.ts';
import type { CreateWorkflowRequest } from '../../actors/index.ts';

/**
 * Starts, reads and stops workflows, whether the manager runs in this process ({@link LocalManager})
 * or in another one reached over its HTTP API (the CLI's `--server`, `ServerApiClient`).
 */
export interface WorkflowManager {
  /** Where the manager runs, as a user would name it (`this process`, a URL). */
  readonly where: string;
  create(request: CreateWorkflowRequest): Promise<Workflow>;
  /** The workflow as the registry has it now; undefined when there is none with this id. */
  get(queueId: string): Promise<Workflow | undefined>;
  /** Asks every stage to stop; resolves with the workflow as it stands (it ends `stopped` shortly after). */
  stop(queueId: string): Promise<Workflow>;
}
