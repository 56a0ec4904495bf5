/** A scheduled callback. `cancel()` may be called any number of times, also after it fired. */
export interface Timer {
  cancel(): void;
}

/**
 * The only source of time and timers for actors: they never call `setTimeout` or `Date.now()`
 * themselves, so tests drive them with a fake clock they advance instead of waiting. Timers do not
 * keep a process alive on their own: what they serve (a socket, a consumer, a server) does.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `callback` once after `ms`, unless cancelled or `signal` aborted first. */
  setTimeout(callback: () => void, ms: number, signal?: AbortSignal): Timer;
  /** Calls `callback` every `ms` until cancelled or `signal` aborts. */
  setInterval(callback: () => void, ms: number, signal?: AbortSignal): Timer;
}
