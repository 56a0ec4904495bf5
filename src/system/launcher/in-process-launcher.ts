import { spawnStage } from '../../actors/index.ts';
import type { ActorContext, ActorRef, Launcher, StageDeps, StageSpec, SupervisionPolicy } from '../../actors/index.ts';

/** Runs each stage as a child actor of its workflow supervisor, in this process. */
export class InProcessLauncher implements Launcher {
  readonly kind = 'inprocess' as const;
  readonly #deps: StageDeps;
  readonly #supervision: SupervisionPolicy | undefined;

  constructor(deps: StageDeps, supervision?: SupervisionPolicy) {
    this.#deps = deps;
    this.#supervision = supervision;
  }

  launch<M>(spec: StageSpec, parent: ActorContext<M>): ActorRef<never> {
    return spawnStage(parent, spec.role, spec.command, this.#deps, { supervision: this.#supervision });
  }
}
