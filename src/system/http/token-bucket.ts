/**
 * Token buckets per client: each holds up to `perMinute` tokens, refilled continuously at
 * `perMinute` a minute; a request takes one or is told how long until one is there. Full buckets
 * are forgotten, so the map holds only clients seen within the last minute.
 */
export class TokenBuckets {
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /** @param now - the time in ms: a fake clock's in tests. @defaultValue `Date.now` */
  constructor(perMinute: number, now: () => number = Date.now) {
    this.#capacity = perMinute;
    this.#perMs = perMinute / 60_000;
    this.#now = now;
  }

  /** Takes a token for `client`: 0 when it had one, else the seconds until it will. */
  take(client: string): number {
    const now = this.#now();
    if (this.#buckets.size > 10_000) this.#forgetFull(now);
    const b = this.#buckets.get(client) ?? { tokens: this.#capacity, at: now };
    b.tokens = Math.min(this.#capacity, b.tokens + (now - b.at) * this.#perMs);
    b.at = now;
    this.#buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / this.#perMs / 1000;
  }

  #forgetFull(now: number): void {
    for (const [client, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#perMs >= this.#capacity) this.#buckets.delete(client);
    }
  }
}
