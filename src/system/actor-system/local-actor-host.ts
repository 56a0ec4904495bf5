import { RestartBudget } from '../../actors/supervision/index.ts';
import type { ActorContext, ActorHost, ActorRef, ActorSpec, Behaviour, Clock, Logger, Metrics, SupervisionPolicy } from '../../actors/ports/index.ts';

export interface LocalActorHostOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Restart backoffs wait on it. */
  readonly clock: Clock;
  /** The policy of an actor whose spec names none (the configuration's `actorRestart`). */
  readonly supervision: SupervisionPolicy;
  /** Jitter of the restart backoffs. @defaultValue Math.random */
  readonly random?: () => number;
}

/** What the host and a parent need of an actor whatever its message type. */
interface Node {
  readonly name: string;
  /** Stops the actor and its children; resolves once all are disposed. Idempotent. */
  stop(): Promise<void>;
}

/** What a child needs of its parent. */
interface Parent {
  readonly name: string;
  childRestarted(name: string, error: unknown, attempt: number): void;
  childFailed(name: string, error: unknown): void;
  forget(child: Node): void;
}

/** The host's bookkeeping shared by every actor. */
interface Shared {
  readonly options: LocalActorHostOptions;
  /** Top-level actors, until they stop. */
  readonly top: Set<Node>;
  /** Every actor by its ref: `ctx.stop(ref)` finds the actor without trusting the ref's type. */
  readonly nodes: WeakMap<object, Node>;
  /** Stops under way, so that shutdown waits for each disposal. */
  readonly stopping: Set<Promise<void>>;
}

type Phase = 'running' | 'restarting' | 'stopped';

/**
 * One actor: its mailbox, handled one message at a time (each in its own turn of the event loop,
 * so a busy actor never starves I/O), its current incarnation and its children.
 */
class Cell<M> implements Node, Parent {
  readonly name: string;
  readonly ref: ActorRef<M>;
  readonly #spec: ActorSpec<M>;
  readonly #shared: Shared;
  readonly #parent: Parent | undefined;
  readonly #children = new Set<Node>();
  readonly #log: Logger;
  readonly #budget: RestartBudget;
  readonly #ctx: ActorContext<M>;
  #mailbox: M[] = [];
  #behaviour: Behaviour<M> | undefined;
  #phase: Phase = 'running';
  /** A turn is scheduled or a step is running. */
  #busy = false;
  /** Ends a restart backoff when the actor is stopped meanwhile. */
  readonly #backoff = new AbortController();
  #stopped: Promise<void> | undefined;
  #failure: unknown = undefined;
  /** A failure told through `ctx.fail`, crashing the incarnation at its next step. */
  #failed: { readonly error: unknown } | undefined;

  constructor(spec: ActorSpec<M>, shared: Shared, parent: Parent | undefined) {
    this.name = spec.name;
    this.#spec = spec;
    this.#shared = shared;
    this.#parent = parent;
    const { logger, supervision, random } = shared.options;
    this.#log = logger.child({ actor: spec.actorType, name: spec.name });
    this.#budget = new RestartBudget(spec.supervision ?? supervision, random);
    this.ref = {
      path: parent ? `${parent.name}/${spec.name}` : spec.name,
      tell: (message: M) => this.#tell(message),
    };
    this.#ctx = {
      self: this.ref,
      log: this.#log,
      spawn: <C>(child: ActorSpec<C>) => this.#spawn(child),
      stop: (ref) => void this.#shared.nodes.get(ref)?.stop(),
      stopSelf: () => void this.stop(),
      fail: (error) => this.#fail(error),
    };
    shared.nodes.set(this.ref, this);
    // The first incarnation starts at once, before any message.
    this.#pump();
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#track(this.#stop());
    return this.#stopped;
  }

  /** A child of this actor restarted after a crash. */
  childRestarted(name: string, error: unknown, attempt: number): void {
    try {
      this.#behaviour?.childRestarted?.(name, error, attempt);
    } catch (err) {
      this.#log.error({ err }, 'childRestarted handler threw');
    }
  }

  /** A child of this actor spent its restart budget: this actor decides (`childFailed`), the child stops. */
  childFailed(name: string, error: unknown): void {
    try {
      this.#behaviour?.childFailed?.(name, error);
    } catch (err) {
      this.#log.error({ err }, 'childFailed handler threw');
    }
  }

  forget(child: Node): void {
    this.#children.delete(child);
  }

  #spawn<C>(spec: ActorSpec<C>): ActorRef<C> {
    if (this.#phase === 'stopped') throw new Error(`${this.ref.path} is stopped: it cannot spawn ${spec.name}`);
    const child = new Cell<C>(spec, this.#shared, this);
    this.#children.add(child);
    return child.ref;
  }

  #tell(message: M): void {
    if (this.#phase === 'stopped') return;
    this.#mailbox.push(message);
    this.#pump();
  }

  #fail(error: unknown): void {
    if (this.#phase !== 'running' || this.#failed !== undefined) return;
    this.#failed = { error };
    this.#pump();
  }

  /** Schedules the next step (a new incarnation, or the next message) when there is one and none is under way. */
  #pump(): void {
    if (this.#busy || this.#phase !== 'running' || (this.#behaviour && this.#mailbox.length === 0 && this.#failed === undefined)) return;
    this.#busy = true;
    setImmediate(() => void this.#step());
  }

  async #step(): Promise<void> {
    try {
      if (this.#phase !== 'running') return;
      if (!this.#behaviour) {
        const behaviour = this.#spec.create(this.#ctx);
        this.#behaviour = behaviour;
        await behaviour.start?.();
      } else if (this.#failed !== undefined) {
        throw this.#failed.error;
      } else {
        const message = this.#mailbox.shift();
        if (message !== undefined) await this.#behaviour.receive(message);
      }
    } catch (err) {
      await this.#crashed(err);
    } finally {
      this.#busy = false;
    }
    this.#pump();
  }

  /** Children and incarnation go; then a restart after a backoff, or, with the budget spent, the end (the parent decides). */
  async #crashed(error: unknown): Promise<void> {
    if (this.#phase === 'stopped') {
      // A request ended by the stop failing afterwards: nothing to supervise any more.
      this.#log.debug({ err: error }, 'failed after it was stopped');
      return;
    }
    this.#phase = 'restarting';
    this.#failed = undefined;
    await this.#stopChildren();
    await this.#dispose();
    if (this.#isStopped()) return;
    const delay = this.#budget.next(this.#shared.options.clock.now());
    if (delay === undefined) {
      this.#log.error({ err: error, restarts: this.#budget.attempts }, 'restart budget spent; escalating');
      this.#failure = error ?? new Error('actor failed');
      this.#parent?.childFailed(this.name, error);
      void this.stop();
      return;
    }
    this.#shared.options.metrics.actorRestarted(this.#spec.actorType);
    this.#log.warn({ err: error, attempt: this.#budget.attempts, delay_ms: delay }, 'crashed; restarting');
    this.#parent?.childRestarted(this.name, error, this.#budget.attempts);
    try {
      await this.#shared.options.clock.sleep(delay, this.#backoff.signal);
    } catch (err) {
      // Stopped during the backoff; anything else is the clock failing: no restart without a backoff.
      if (!this.#backoff.signal.aborted) {
        this.#log.error({ err }, 'restart backoff failed; stopping');
        void this.stop();
      }
      return;
    }
    if (this.#phase !== 'restarting') return;
    // Messages told meanwhile wait in the mailbox for the fresh incarnation, which starts first.
    this.#phase = 'running';
  }

  /** Read through a method: a stop may come while a crash is handled, across its awaits. */
  #isStopped(): boolean {
    return this.#phase === 'stopped';
  }

  async #stop(): Promise<void> {
    this.#phase = 'stopped';
    this.#mailbox = [];
    this.#backoff.abort();
    // Depth first: children go before their parent, so every incarnation is disposed.
    await this.#stopChildren();
    // Not after the message being handled: disposing is what ends its requests.
    await this.#dispose();
    if (this.#parent) this.#parent.forget(this);
    else this.#shared.top.delete(this);
    try {
      this.#spec.onStop?.(this.#failure);
    } catch (err) {
      this.#log.error({ err }, 'onStop handler threw');
    }
  }

  async #stopChildren(): Promise<void> {
    const children = [...this.#children];
    this.#children.clear();
    await Promise.all(children.map((c) => c.stop()));
  }

  async #dispose(): Promise<void> {
    const old = this.#behaviour;
    this.#behaviour = undefined;
    try {
      await old?.dispose?.();
    } catch (err) {
      this.#log.warn({ err }, 'dispose failed');
    }
  }

  #track(stopping: Promise<void>): Promise<void> {
    const { stopping: all } = this.#shared;
    const tracked = stopping.finally(() => all.delete(tracked));
    all.add(tracked);
    return tracked;
  }
}

/**
 * Hosts {@link Behaviour}s in this process. Each actor handles one message at a time; a crash (an
 * error thrown from `start` or `receive`) stops its children, disposes the incarnation and, after a
 * jittered exponential backoff on the clock, starts a fresh one that gets the messages told
 * meanwhile, until the restart budget of its {@link ActorSpec.supervision} policy is spent; then the
 * failure escalates to the parent (its `childFailed`) and the child stops. A stop disposes the
 * actor's children first, then the actor, and calls its `onStop`.
 */
export class LocalActorHost implements ActorHost {
  readonly #shared: Shared;
  #closed = false;

  constructor(options: LocalActorHostOptions) {
    this.#shared = { options, top: new Set(), nodes: new WeakMap(), stopping: new Set() };
  }

  spawn<M>(spec: ActorSpec<M>): ActorRef<M> {
    if (this.#closed) throw new Error(`the actor host is shut down: it cannot spawn ${spec.name}`);
    const cell = new Cell<M>(spec, this.#shared, undefined);
    this.#shared.top.add(cell);
    return cell.ref;
  }

  /** Stops every actor, children first, and resolves once all are disposed. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#shared.top].map((node) => node.stop()));
    await Promise.allSettled([...this.#shared.stopping]);
  }
}
