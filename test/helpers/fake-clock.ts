import type { Clock } from '../../src/actors/ports/index.ts';

/**
 * A clock the test drives: `sleep` records the delay and moves the fake time forward at once,
 * or, with `holdSleeps`, stays pending until its signal aborts. Immediate sleeps resolve in microtasks,
 * where a runaway wait loop would starve the test runner's timers: past `MAX_SLEEPS` sleep rejects.
 */
const MAX_SLEEPS = 10_000;

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  #now: number;
  readonly #holdSleeps: boolean;

  constructor(startMs: number, options: { holdSleeps?: boolean } = {}) {
    this.#now = startMs;
    this.#holdSleeps = options.holdSleeps ?? false;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.sleeps.length >= MAX_SLEEPS) return Promise.reject(new Error(`runaway: more than ${MAX_SLEEPS} sleeps`));
    this.sleeps.push(ms);
    if (!this.#holdSleeps) {
      this.#now += Math.max(0, ms);
      return Promise.resolve();
    }
    return new Promise<void>((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  }
}
