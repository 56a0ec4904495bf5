import type { RateWindowStats } from './rate-limiter.ts';

/** What the simulator has seen since start or the last `resetStats()`. */
export interface SimulatorStats {
  /** Every request received, whatever its outcome. */
  readonly requests: number;
  readonly requestsByPath: Readonly<Record<string, number>>;
  /** Total request weight admitted (5xx and 4xx responses included, 429/418 not). */
  readonly weightUsed: number;
  readonly status2xx: number;
  /** 4xx other than 429 and 418: malformed requests, unknown paths. */
  readonly status4xx: number;
  readonly status429: number;
  readonly status418: number;
  readonly status5xx: number;
  /** Highest REQUEST_WEIGHT used within one window, by header suffix: `{ '1M': 5998 }`. */
  readonly maxUsedWeight: Readonly<Record<string, number>>;
  /** Every enforced limit with its current and highest usage. */
  readonly windows: readonly RateWindowStats[];
  readonly banned: boolean;
  /** When the current or last ban ends, if there was one. */
  readonly bannedUntilMs: number | undefined;
}

/** Mutable counters behind `SimulatorStats`. */
export class StatsCounter {
  requests = 0;
  weightUsed = 0;
  status2xx = 0;
  status4xx = 0;
  status429 = 0;
  status418 = 0;
  status5xx = 0;
  requestsByPath: Record<string, number> = {};

  countRequest(path: string): void {
    this.requests += 1;
    this.requestsByPath[path] = (this.requestsByPath[path] ?? 0) + 1;
  }

  countStatus(status: number): void {
    if (status === 429) this.status429 += 1;
    else if (status === 418) this.status418 += 1;
    else if (status >= 500) this.status5xx += 1;
    else if (status >= 400) this.status4xx += 1;
    else this.status2xx += 1;
  }

  snapshot(windows: readonly RateWindowStats[], nowMs: number, bannedUntilMs: number): SimulatorStats {
    const maxUsedWeight: Record<string, number> = {};
    for (const w of windows) {
      if (w.rateLimitType === 'REQUEST_WEIGHT') maxUsedWeight[`${w.intervalNum}${w.interval.charAt(0)}`] = w.maxUsed;
    }
    return {
      requests: this.requests,
      requestsByPath: { ...this.requestsByPath },
      weightUsed: this.weightUsed,
      status2xx: this.status2xx,
      status4xx: this.status4xx,
      status429: this.status429,
      status418: this.status418,
      status5xx: this.status5xx,
      maxUsedWeight,
      windows,
      banned: nowMs < bannedUntilMs,
      bannedUntilMs: bannedUntilMs > 0 ? bannedUntilMs : undefined,
    };
  }
}
