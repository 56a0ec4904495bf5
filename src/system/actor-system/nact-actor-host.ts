import { dispatch, spawn, start, stop } from 'nact';
import type { Ref } from 'nact';
import { RestartBudget, DEFAULT_SUPERVISION } from '../../actors/supervision/index.ts';
import type {
  ActorContext,
  ActorHost,
  ActorRef,
  ActorSpec,
  Behaviour,
  Clock,
  Logger,
  Metrics,
} from '../../actors/ports/index.ts';

const START = Symbol('start');
type Envelope<M> = { readonly kind: 'user'; readonly message: M } | { readonly kind: typeof START };

interface Node {
  /** The current incarnation, created lazily by the first message after a spawn or a restart. */
  behaviour: Behaviour<never> | undefined;
  stopped: boolean;
  readonly name: string;
  /** Live children; nact 7 cannot stop a stopped actor's children itself, so the host does. */
  readonly children: Set<{ stopNow(): void }>;
}

export interface NactActorHostOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly random?: () => number;
}

/**
 * Hosts {@link Behaviour}s on nact. Each actor handles one message at a time; a crash disposes the
 * incarnation and, after a jittered exponential backoff, starts a fresh one, until the restart budget
 * of its {@link ActorSpec.supervision} policy is spent; then the failure escalates to the parent
 * (its `childFailed`), which stops the child.
 */
export class NactActorHost implements ActorHost {
  readonly #system = start();
  readonly #options: NactActorHostOptions;
  readonly #top = new Set<ActorRef<never>>();
  readonly #disposals = new Set<Promise<void>>();

  constructor(options: NactActorHostOptions) {
    this.#options = options;
  }

  spawn<M>(spec: ActorSpec<M>): ActorRef<M> {
    const ref = this.#spawnUnder(this.#system, undefined, spec);
    this.#top.add(ref);
    return ref;
  }

  async shutdown(): Promise<void> {
    for (const ref of this.#top) (ref as unknown as { stopNow(): void }).stopNow();
    this.#top.clear();
    // afterStop hooks run on setImmediate; let them start, then wait for every disposal.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.allSettled([...this.#disposals]);
    stop(this.#system);
  }

  #spawnUnder<M>(parentRef: Ref<unknown>, parent: Node | undefined, spec: ActorSpec<M>): ActorRef<M> {
    const { logger, metrics, clock } = this.#options;
    const node: Node = { behaviour: undefined, stopped: false, name: spec.name, children: new Set() };
    let failure: unknown = undefined;
    const budget = new RestartBudget(spec.supervision ?? DEFAULT_SUPERVISION, this.#options.random);
    const log = logger.child({ actor: spec.actorType, name: spec.name });
    // Filled right after spawn; nact only calls the closures below once messages flow.
    const cell: { ref?: Ref<Envelope<M>> } = {};
    const disposals = this.#disposals;
    const spawnChild = <C>(child: ActorSpec<C>) => {
      if (!cell.ref) throw new Error('spawn before the actor started');
      const childRef = this.#spawnUnder(cell.ref, node, child);
      node.children.add(childRef as unknown as { stopNow(): void });
      return childRef;
    };

    const ref: ActorRef<M> & { stopNow(): void } = {
      path: parent ? `${parent.name}/${spec.name}` : spec.name,
      tell(message: M) {
        if (cell.ref && !node.stopped) dispatch(cell.ref, { kind: 'user', message });
      },
      stopNow() {
        if (!cell.ref || node.stopped) return;
        // Depth first: children go before their parent, so every incarnation is disposed.
        for (const child of [...node.children]) child.stopNow();
        node.children.clear();
        stop(cell.ref);
      },
    };

    const ctx: ActorContext<M> = {
      self: ref,
      log,
      spawn: spawnChild,
      stop: (child) => (child as unknown as { stopNow(): void }).stopNow(),
      stopSelf: () => ref.stopNow(),
    };

    const incarnation = async (): Promise<Behaviour<M>> => {
      if (node.behaviour) return node.behaviour;
      const behaviour = spec.create(ctx);
      node.behaviour = behaviour;
      await behaviour.start?.();
      return behaviour;
    };

    const dispose = async (): Promise<void> => {
      const old = node.behaviour;
      node.behaviour = undefined;
      try {
        await old?.dispose?.();
      } catch (err) {
        log.warn({ err }, 'dispose failed');
      }
    };

    const nactRef: Ref<Envelope<M>> = spawn<Ref<unknown>, (state: undefined, envelope: Envelope<M>) => Promise<undefined>>(
      parentRef,
      async (state: undefined, envelope: Envelope<M>) => {
        const behaviour = await incarnation();
        if (envelope.kind === 'user') await behaviour.receive(envelope.message);
        return state;
      },
      spec.name,
      {
        afterStop: async () => {
          node.stopped = true;
          parent?.children.delete(ref);
          const disposal = dispose();
          disposals.add(disposal);
          await disposal;
          disposals.delete(disposal);
          spec.onStop?.(failure);
        },
        onCrash: async (_msg, error, sctx, child) => {
          if (child !== undefined) {
            // A child spent its budget: its parent decides, the child stops.
            try {
              node.behaviour?.childFailed?.((child as unknown as { name: string }).name, error);
            } catch (err) {
              log.error({ err }, 'childFailed handler threw');
            }
            return sctx.stopChild;
          }
          await dispose();
          const delay = budget.next(clock.now());
          // A stopped actor has no parent left in nact: a late failure just ends it.
          if (node.stopped) return sctx.stop;
          if (delay === undefined) {
            log.error({ err: error, restarts: budget.attempts }, 'restart budget spent; escalating');
            failure = error ?? new Error('actor failed');
            if (!parent) return sctx.stop;
            return sctx.escalate;
          }
          metrics.actorRestarted(spec.actorType);
          log.warn({ err: error, attempt: budget.attempts, delay_ms: delay }, 'crashed; restarting');
          parent?.behaviour?.childRestarted?.(spec.name, error, budget.attempts);
          await clock.sleep(delay);
          if (node.stopped) return sctx.stop;
          // reset() clears state and resumes; this START makes the fresh incarnation begin at once.
          dispatch(nactRef, { kind: START });
          return sctx.reset;
        },
      },
    );
    cell.ref = nactRef;
    dispatch(nactRef, { kind: START });
    return ref;
  }
}
