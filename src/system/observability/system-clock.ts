import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../actors/ports/index.ts';

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: async (ms: number, signal?: AbortSignal) => {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  },
});
