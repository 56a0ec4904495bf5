import type { Clock } from '../../actors/index.ts';
import type { ReplaySpeed } from '../../protocol/index.ts';

/**
 * Paces a replay by event time: the first record is due at once, each later one when the clock has
 * moved `(its time - the first's) / speed` since. `max` is never behind. The clock is the injected
 * port, so tests drive it with a fake one.
 */
export class ReplayPacer {
  readonly #clock: Clock;
  readonly #speed: ReplaySpeed;
  #anchor: { readonly wallMs: number; readonly eventMs: number } | undefined;

  constructor(clock: Clock, speed: ReplaySpeed) {
    this.#clock = clock;
    this.#speed = speed;
  }

  /** Whole milliseconds until a record of `eventMs` is due: 0 when it is due now (always with `max`). */
  waitMs(eventMs: number): number {
    if (this.#speed === 'max') return 0;
    if (this.#anchor === undefined) {
      this.#anchor = { wallMs: this.#clock.now(), eventMs };
      return 0;
    }
    const dueMs = this.#anchor.wallMs + (eventMs - this.#anchor.eventMs) / this.#speed;
    return Math.max(0, Math.ceil(dueMs - this.#clock.now()));
  }
}
