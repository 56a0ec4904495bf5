import { setTimeout as delay } from 'node:timers/promises';
import type { Clock, Timer } from '../../actors/ports/index.ts';

/** Node keeps timer delays in a signed 32-bit integer: longer ones would fire at once. */
const MAX_DELAY_MS = 2_147_483_647;

function clamp(ms: number): number {
  return Math.min(MAX_DELAY_MS, Math.max(0, ms));
}

type Start = (fire: () => void) => NodeJS.Timeout;

/**
 * Node's timer behind a Timer, cancelled with it when `signal` aborts; unref'd (see {@link Clock}).
 * A one-shot timer lets go of the signal once it fired, so a long-lived signal collects no listeners.
 */
function nodeTimer(start: Start, callback: () => void, once: boolean, signal: AbortSignal | undefined): Timer {
  let handle: NodeJS.Timeout | undefined = undefined;
  const cancel = () => {
    clearTimeout(handle);
    signal?.removeEventListener('abort', cancel);
  };
  handle = start(() => {
    if (once) signal?.removeEventListener('abort', cancel);
    callback();
  });
  handle.unref();
  signal?.addEventListener('abort', cancel, { once: true });
  return { cancel };
}

const cancelled: Timer = Object.freeze({ cancel: () => undefined });

/** Wall-clock time and Node's timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: async (ms: number, signal?: AbortSignal) => {
    await delay(clamp(ms), undefined, signal ? { signal } : undefined);
  },
  setTimeout: (callback: () => void, ms: number, signal?: AbortSignal): Timer => {
    if (signal?.aborted) return cancelled;
    return nodeTimer((fire) => setTimeout(fire, clamp(ms)), callback, true, signal);
  },
  setInterval: (callback: () => void, ms: number, signal?: AbortSignal): Timer => {
    if (signal?.aborted) return cancelled;
    // An interval of 0 would spin: Node treats it as 1 ms anyway.
    return nodeTimer((fire) => setInterval(fire, Math.max(1, clamp(ms))), callback, false, signal);
  },
});
