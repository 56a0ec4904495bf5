/**
 * At most `limit` actions in any window of `windowMs`, kept locally. Used for the exchange's limits
 * on WebSocket connection attempts (300 per 5 minutes per IP, shared by every connection of a
 * process, so a reconnect storm waits instead of getting the IP banned) and on messages sent on one
 * connection (5 per second).
 */
export class SlidingWindowLimit {
  readonly #limit: number;
  readonly #windowMs: number;
  /** Times of the actions inside the window, oldest first. */
  readonly #times: number[] = [];

  constructor(limit: number, windowMs: number) {
    if (!(Number.isInteger(limit) && limit >= 1 && windowMs > 0)) throw new RangeError('a sliding window limit needs an integer limit >= 1 and windowMs > 0');
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records an action at `nowMs` and returns 0, or returns how long to wait before one is allowed. */
  take(nowMs: number): number {
    this.#prune(nowMs);
    if (this.#times.length >= this.#limit) return Math.max(1, (this.#times[0] ?? nowMs) + this.#windowMs - nowMs);
    this.#times.push(nowMs);
    return 0;
  }

  /** Actions counted in the window ending at `nowMs`. */
  used(nowMs: number): number {
    this.#prune(nowMs);
    return this.#times.length;
  }

  #prune(nowMs: number): void {
    while (this.#times.length > 0 && (this.#times[0] ?? 0) <= nowMs - this.#windowMs) this.#times.shift();
  }
}
