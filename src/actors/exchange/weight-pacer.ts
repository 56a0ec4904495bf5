import type { RateLimit } from '../../protocol/index.ts';
import type { Clock } from '../ports/index.ts';

const UNIT_MS = { SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 } as const;
const UNIT_LETTER = { SECOND: 's', MINUTE: 'm', HOUR: 'h', DAY: 'd' } as const;

interface Window {
  readonly header: string;
  readonly lengthMs: number;
  readonly limit: number;
  /** Window index (start / length) the `used` figure belongs to. */
  index: number;
  used: number;
  inFlight: number;
}

export interface PacerStats {
  /** Weight the exchange reported used, summed over the windows that closed or are current. */
  readonly weightUsed: number;
  /** Weight the advertised limits allowed over the same windows. */
  readonly weightAllowed: number;
  readonly waits: number;
  readonly waitedMs: number;
}

/**
 * Paces requests to the exchange's advertised REQUEST_WEIGHT limits. It trusts the
 * `X-MBX-USED-WEIGHT-*` headers (they count every client of this IP), assumes the fixed windows
 * Binance uses (aligned to the epoch, on the server's clock) and lets a request go only while
 * `used + in flight + weight` stays under `target × limit`; otherwise it waits for the next window.
 */
export class WeightPacer {
  readonly #windows: Window[];
  readonly #clock: Clock;
  readonly #target: number;
  #offsetMs = 0;
  #waits = 0;
  #waitedMs = 0;
  #usedTotal = 0;
  #allowedTotal = 0;
  #firstIndex: number | undefined;

  constructor(limits: readonly RateLimit[], clock: Clock, target: number) {
    this.#clock = clock;
    this.#target = target;
    this.#windows = limits
      .filter((l) => l.rateLimitType === 'REQUEST_WEIGHT')
      .map((l) => ({
        header: `x-mbx-used-weight-${l.intervalNum}${UNIT_LETTER[l.interval]}`,
        lengthMs: l.intervalNum * UNIT_MS[l.interval],
        limit: l.limit,
        index: -1,
        used: 0,
        inFlight: 0,
      }));
  }

  /** Server time minus local time, so windows line up with the exchange's. */
  setServerOffset(offsetMs: number): void {
    this.#offsetMs = offsetMs;
  }

  /** Waits until `weight` fits in every window, then reserves it. Call {@link settle} with the response. */
  async acquire(weight: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.#serverNow();
      let waitUntil = 0;
      for (const w of this.#windows) {
        this.#roll(w, now);
        // A request heavier than the whole target still goes once its window is empty.
        if (w.used + w.inFlight + weight > w.limit * this.#target && w.used + w.inFlight > 0) {
          waitUntil = Math.max(waitUntil, (w.index + 1) * w.lengthMs);
        }
      }
      if (waitUntil === 0) break;
      // A little past the boundary: our clock and the server's are only as close as the offset says.
      const ms = waitUntil - now + 25;
      this.#waits++;
      this.#waitedMs += ms;
      await this.#clock.sleep(ms, signal);
    }
    for (const w of this.#windows) w.inFlight += weight;
  }

  /** Releases the reservation and takes the exchange's word for what is used. */
  settle(weight: number, headers: Readonly<Record<string, string | undefined>>): void {
    const now = this.#serverNow();
    for (const w of this.#windows) {
      w.inFlight = Math.max(0, w.inFlight - weight);
      this.#roll(w, now);
      const reported = Number(headers[w.header]);
      if (Number.isFinite(reported) && reported >= 0) w.used = reported;
      else w.used += weight;
    }
  }

  /** Releases a reservation whose request never reached the exchange. */
  release(weight: number): void {
    for (const w of this.#windows) w.inFlight = Math.max(0, w.inFlight - weight);
  }

  /** The current window's used share of the tightest limit. */
  usedRatio(): number {
    let ratio = 0;
    for (const w of this.#windows) ratio = Math.max(ratio, w.used / w.limit);
    return ratio;
  }

  stats(): PacerStats {
    const w = this.#windows[0];
    const current = w ? w.used : 0;
    const windows = w && this.#firstIndex !== undefined ? w.index - this.#firstIndex + 1 : 0;
    return {
      weightUsed: this.#usedTotal + current,
      weightAllowed: w ? this.#allowedTotal + (windows > 0 ? w.limit : 0) : 0,
      waits: this.#waits,
      waitedMs: this.#waitedMs,
    };
  }

  #roll(w: Window, now: number): void {
    const index = Math.floor(now / w.lengthMs);
    if (index === w.index) return;
    if (w === this.#windows[0]) {
      if (this.#firstIndex === undefined) this.#firstIndex = index;
      else {
        this.#usedTotal += w.used;
        this.#allowedTotal += w.limit * (index - w.index);
      }
    }
    w.index = index;
    w.used = 0;
  }

  #serverNow(): number {
    return this.#clock.now() + this.#offsetMs;
  }
}
