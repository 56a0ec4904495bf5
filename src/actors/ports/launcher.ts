import type { StageRole, StartCommand } from '../../protocol/index.ts';
import type { ActorContext, ActorRef } from './actor.ts';

export { StageRoles } from '../../protocol/index.ts';
export type { StageRole } from '../../protocol/index.ts';

export interface StageSpec {
  readonly role: StageRole;
  /** What the stage runs: the contract's `start` command (also its environment, out of process). */
  readonly command: StartCommand;
}

/**
 * Starts a workflow stage as a child actor of the workflow supervisor. The child runs the stage
 * in process, or stands for a process or a Kubernetes Job it watches; either way it crashes when
 * the stage dies, so the supervisor's restart budget covers every launcher alike.
 */
export interface Launcher {
  readonly kind: 'inprocess' | 'process' | 'kubernetes';
  launch<M>(spec: StageSpec, parent: ActorContext<M>): ActorRef<never>;
  /**
   * Leave launched stages running when this process shuts down, for the next manager to take
   * over (Jobs outlive the manager's pod; local processes do not, so those launchers omit it).
   */
  detach?(): void;
}
