import type { ActorContext, ActorRef, Behaviour, Launcher, StageSpec } from '../../actors/index.ts';

/** Stands for a connector the pool serves: nothing to run here, its telemetry comes from a pool member. */
class PooledConnector implements Behaviour<never> {
  receive(): void {}
}

/**
 * `CONNECTOR_POOL=true`: loaders are launched as usual, connectors are not — the connector pool
 * (`ROLE=connector` without an assignment, a Deployment KEDA scales on consumer lag) writes every
 * workflow's data. The supervisor still follows the connector's telemetry: if no pool member serves
 * the workflow, the stage stalls and fails within its budget, never silently.
 */
export class PooledConnectorLauncher implements Launcher {
  readonly #inner: Launcher;

  constructor(inner: Launcher) {
    this.#inner = inner;
  }

  get kind(): Launcher['kind'] {
    return this.#inner.kind;
  }

  launch<M>(spec: StageSpec, parent: ActorContext<M>): ActorRef<never> {
    if (spec.role === 'loader') return this.#inner.launch(spec, parent);
    return parent.spawn<never>({ name: spec.role, actorType: 'pooled-connector', create: () => new PooledConnector() });
  }

  detach(): void {
    this.#inner.detach?.();
  }
}
