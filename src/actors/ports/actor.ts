import type { Logger } from './logger.ts';

/** A typed address of an actor. `tell` never blocks; messages are handled one at a time. */
export interface ActorRef<M> {
  readonly path: string;
  tell(message: M): void;
}

export interface SupervisionPolicy {
  /** Restarts allowed within `windowMs` before the failure escalates to the parent. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly log: Logger;
  spawn<C>(spec: ActorSpec<C>): ActorRef<C>;
  stop(ref: ActorRef<unknown>): void;
  /** Stops this actor and its children (after the current message). */
  stopSelf(): void;
  /**
   * Crashes this incarnation with `error`, as if `receive` had thrown it: for failures that arrive
   * outside a message (a bus subscription that stopped, a socket's error callback). Supervision then
   * restarts the actor within its budget. Ignored once the actor is stopping or restarting.
   */
  fail(this: void, error: unknown): void;
}

/**
 * Behaviour of one actor incarnation. A crash (an error thrown from `receive`) disposes this
 * incarnation and, within the supervision budget, creates a fresh one after a backoff.
 */
export interface Behaviour<M> {
  receive(message: M): void | Promise<void>;
  /** Runs as the first message of every incarnation. */
  start?(): void | Promise<void>;
  /** Releases resources of this incarnation (on stop and before a restart). */
  dispose?(): void | Promise<void>;
  /** A child restarted after a crash. */
  childRestarted?(childName: string, error: unknown, attempt: number): void;
  /** A child exhausted its restart budget and was stopped. */
  childFailed?(childName: string, error: unknown): void;
}

export interface ActorSpec<M> {
  readonly name: string;
  /** Small fixed set, used as a metric label (`manager`, `loader`, …). */
  readonly actorType: string;
  readonly create: (ctx: ActorContext<M>) => Behaviour<M>;
  readonly supervision?: SupervisionPolicy;
  /** Called once when the actor has stopped: with the error when supervision gave up on it. */
  readonly onStop?: (failure: unknown) => void;
}

export interface ActorHost {
  spawn<M>(spec: ActorSpec<M>): ActorRef<M>;
  shutdown(): Promise<void>;
}
