import { constants } from 'node:os';

/** The signals that end `serve`: SIGTERM (Kubernetes, `docker stop`) and SIGINT (Ctrl-C). */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** The part of `process` the latch uses. */
export interface SignalSource {
  on(signal: ShutdownSignal, listener: () => void): unknown;
  off(signal: ShutdownSignal, listener: () => void): unknown;
  exit(code: number): void;
}

export interface ShutdownSignalsOptions {
  /** @defaultValue `process` */
  readonly source?: SignalSource;
  /** Where the forced exit is said. @defaultValue `process.stderr` */
  readonly err?: NodeJS.WritableStream;
  /**
   * Time the process gets after the first signal to end by itself before it is ended (a graceful
   * shutdown that hangs must not outlive Kubernetes' grace period and end in SIGKILL).
   * @defaultValue 10000
   */
  readonly deadlineMs?: number;
}

/**
 * SIGTERM and SIGINT, latched from the moment this is created. Node as a container's PID 1 gets no
 * default action for a signal it has no listener for: one sent while `serve` still loads or starts
 * would be lost, and the pod killed only at the end of its grace period. The first signal resolves
 * {@link received}; the process then has {@link ShutdownSignalsOptions.deadlineMs} to end by itself
 * before it exits with 128 + the signal's number; a second signal ends it at once the same way.
 */
export class ShutdownSignals {
  /** Resolves with the first signal received. */
  readonly received: Promise<ShutdownSignal>;
  readonly #source: SignalSource;
  readonly #err: NodeJS.WritableStream;
  readonly #deadlineMs: number;
  readonly #listeners = new Map<ShutdownSignal, () => void>();
  #first: ShutdownSignal | undefined;
  #deadline: NodeJS.Timeout | undefined;

  constructor(options: ShutdownSignalsOptions = {}) {
    this.#source = options.source ?? process;
    this.#err = options.err ?? process.stderr;
    this.#deadlineMs = options.deadlineMs ?? 10_000;
    let resolve: (signal: ShutdownSignal) => void = () => undefined;
    this.received = new Promise((r) => (resolve = r));
    for (const signal of SHUTDOWN_SIGNALS) {
      const listener = () => {
        if (this.#first === undefined) {
          this.#first = signal;
          this.#deadline = setTimeout(() => this.#exit(signal, `did not stop within ${this.#deadlineMs} ms of ${signal}`), this.#deadlineMs);
          this.#deadline.unref();
          resolve(signal);
        } else this.#exit(signal, `${signal} received while stopping`);
      };
      this.#listeners.set(signal, listener);
      this.#source.on(signal, listener);
    }
  }

  /** The signal received first, if any. */
  get first(): ShutdownSignal | undefined {
    return this.#first;
  }

  /** Stops listening (and disarms the deadline): the signals' default actions apply again. */
  close(): void {
    clearTimeout(this.#deadline);
    for (const [signal, listener] of this.#listeners) this.#source.off(signal, listener);
    this.#listeners.clear();
  }

  #exit(signal: ShutdownSignal, reason: string): void {
    this.#err.write(`streamforge: ${reason}; exiting now\n`);
    this.#source.exit(128 + constants.signals[signal]);
  }
}

let latch: ShutdownSignals | undefined;

/**
 * The process's one latch, created (listening) on the first call: `bin/streamforge.js` calls it
 * before it loads the CLI when the command is `serve`, and `serve` awaits it.
 */
export function shutdownSignals(): ShutdownSignals {
  latch ??= new ShutdownSignals();
  return latch;
}
