// Waiting inside an experiment: delays that end early when the run is aborted (Ctrl-C), and the
// recovery time of a fault: from its healing to the first progress seen after it.
import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or throws the signal's reason as soon as it aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal });
}

/** Polls `probe` until it returns a value, the time is up (undefined) or the signal aborts (throws). */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, signal: AbortSignal, everyMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await pause(everyMs, signal);
  }
}

/**
 * Milliseconds from now until `progress()` exceeds the value it had now (records stored, say), or
 * undefined when it did not within `timeoutMs` (the workflows may all have ended: nothing more to store).
 */
export async function recoveryAfterHeal(progress: () => Promise<number>, timeoutMs: number, signal: AbortSignal): Promise<number | undefined> {
  const healedAt = Date.now();
  const base = await progress();
  const moved = await until(async () => ((await progress()) > base ? Date.now() : undefined), timeoutMs, signal, 50);
  return moved === undefined ? undefined : moved - healedAt;
}

/** True when `err` is the abort of `signal` (not a failure of the experiment). */
export function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (err === signal.reason || (err instanceof Error && err.name === 'AbortError'));
}
