import type { Clock } from '../ports/index.ts';

/**
 * Awaits `work`, calling `beat` every `everyMs` until it settles: a stage waiting on one long
 * request (an archive download) still tells the workflow supervisor it is alive, which would
 * otherwise take the silence for a stall and relaunch it into the same download.
 */
export async function withHeartbeat<T>(clock: Clock, work: Promise<T>, everyMs: number, beat: () => void): Promise<T> {
  const timer = clock.setInterval(beat, everyMs);
  try {
    return await work;
  } finally {
    timer.cancel();
  }
}
