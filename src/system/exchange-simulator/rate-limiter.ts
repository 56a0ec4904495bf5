import type { BinanceFailure } from './binance-errors.ts';

/** One entry of exchangeInfo's `rateLimits`. */
export interface RateLimitRule {
  readonly rateLimitType: 'REQUEST_WEIGHT' | 'RAW_REQUESTS' | 'ORDERS';
  readonly interval: 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';
  readonly intervalNum: number;
  readonly limit: number;
}

/** A limit's usage, for stats. */
export interface RateWindowStats extends RateLimitRule {
  /** Used in the current window. */
  readonly used: number;
  /** Most used in any window since start or the last stats reset. */
  readonly maxUsed: number;
}

/** The verdict on one request: go ahead, or a 429/418 to send back. */
export type Admission =
  | { readonly kind: 'admitted'; readonly headers: Record<string, string> }
  | {
      readonly kind: 'limited' | 'banned';
      readonly failure: BinanceFailure;
      readonly retryAfterSec: number;
      readonly headers: Record<string, string>;
    };

const INTERVAL_UNIT_MS = { SECOND: 1_000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 } as const;
const MIN_BAN_MS = 2_000;

interface Window {
  readonly rule: RateLimitRule;
  readonly lengthMs: number;
  readonly header: string | undefined;
  start: number;
  used: number;
  maxUsed: number;
}

/**
 * Binance's IP limits with fixed windows aligned to the epoch (a 1-minute window resets at each
 * UTC minute). Requests over a limit get 429 with Retry-After; requests sent during that back-off
 * get the IP banned (418) for twice the rest of the window, at least 2 s.
 */
export class RateLimiter {
  #windows: Window[];
  readonly #banGraceMs: number;
  #backoffUntil = 0;
  #backoffSince = 0;
  #backoffWindowEnd = 0;
  #bannedUntil = 0;

  constructor(rules: readonly RateLimitRule[], banGraceMs: number) {
    this.#banGraceMs = banGraceMs;
    this.#windows = RateLimiter.#windowsOf(rules);
  }

  /** New limits from now on (the exchange changed them); a back-off or ban under way stays. */
  setRules(rules: readonly RateLimitRule[]): void {
    const before = this.#windows;
    this.#windows = RateLimiter.#windowsOf(rules);
    // What this IP already used in a window of the same kind and length still counts.
    for (const w of this.#windows) {
      const old = before.find((o) => o.lengthMs === w.lengthMs && o.rule.rateLimitType === w.rule.rateLimitType);
      if (old) Object.assign(w, { start: old.start, used: old.used, maxUsed: old.maxUsed });
    }
  }

  static #windowsOf(rules: readonly RateLimitRule[]): Window[] {
    return rules
      .filter((rule) => rule.rateLimitType !== 'ORDERS')
      .map((rule) => ({
        rule,
        lengthMs: rule.intervalNum * INTERVAL_UNIT_MS[rule.interval],
        header:
          rule.rateLimitType === 'REQUEST_WEIGHT'
            ? `X-MBX-USED-WEIGHT-${rule.intervalNum}${rule.interval.charAt(0)}`
            : undefined,
        start: Number.NEGATIVE_INFINITY,
        used: 0,
        maxUsed: 0,
      }));
  }

  /** Decides on a request of `weight` arriving at `nowMs`, and counts it if admitted. */
  admit(nowMs: number, weight: number): Admission {
    this.#roll(nowMs);
    if (nowMs < this.#bannedUntil) return this.#banned(nowMs);
    if (nowMs < this.#backoffUntil && nowMs >= this.#backoffSince + this.#banGraceMs) {
      this.#bannedUntil = nowMs + Math.max(MIN_BAN_MS, 2 * (this.#backoffWindowEnd - nowMs));
      this.#backoffUntil = 0;
      return this.#banned(nowMs);
    }
    const broken = this.#brokenWindow(weight);
    if (broken !== undefined) return this.#limited(nowMs, broken);
    for (const w of this.#windows) {
      w.used += w.rule.rateLimitType === 'REQUEST_WEIGHT' ? weight : 1;
      w.maxUsed = Math.max(w.maxUsed, w.used);
    }
    return { kind: 'admitted', headers: this.#headers() };
  }

  isBanned(nowMs: number): boolean {
    return nowMs < this.#bannedUntil;
  }

  bannedUntil(): number {
    return this.#bannedUntil;
  }

  windows(nowMs: number): RateWindowStats[] {
    this.#roll(nowMs);
    return this.#windows.map((w) => ({ ...w.rule, used: w.used, maxUsed: w.maxUsed }));
  }

  resetStats(): void {
    for (const w of this.#windows) w.maxUsed = w.used;
  }

  #roll(nowMs: number): void {
    for (const w of this.#windows) {
      const start = Math.floor(nowMs / w.lengthMs) * w.lengthMs;
      if (start !== w.start) {
        w.start = start;
        w.used = 0;
      }
    }
  }

  /** The broken window whose reset is furthest away, if any. */
  #brokenWindow(weight: number): Window | undefined {
    let broken: Window | undefined;
    for (const w of this.#windows) {
      const cost = w.rule.rateLimitType === 'REQUEST_WEIGHT' ? weight : 1;
      if (w.used + cost > w.rule.limit && (broken === undefined || w.start + w.lengthMs > broken.start + broken.lengthMs)) {
        broken = w;
      }
    }
    return broken;
  }

  #limited(nowMs: number, broken: Window): Admission {
    const windowEnd = broken.start + broken.lengthMs;
    const retryAfterSec = Math.max(1, Math.ceil((windowEnd - nowMs) / 1000));
    if (nowMs >= this.#backoffUntil) {
      // A new back-off episode; 429s inside the grace period do not move its start, or a client
      // hammering faster than the grace period would never be banned.
      this.#backoffSince = nowMs;
      this.#backoffWindowEnd = windowEnd;
    }
    this.#backoffUntil = Math.max(this.#backoffUntil, nowMs + retryAfterSec * 1000);
    this.#backoffWindowEnd = Math.max(this.#backoffWindowEnd, windowEnd);
    const { rule } = broken;
    const msg =
      rule.rateLimitType === 'REQUEST_WEIGHT'
        ? `Too much request weight used; current limit is ${rule.limit} request weight per ${rule.intervalNum} ${rule.interval}. Please use WebSocket Streams for live updates to avoid polling the API.`
        : `Too many requests; current limit is ${rule.limit} requests per ${rule.intervalNum} ${rule.interval}. Please use WebSocket Streams for live updates to avoid polling the API.`;
    return {
      kind: 'limited',
      failure: { status: 429, body: { code: -1003, msg } },
      retryAfterSec,
      headers: this.#headers(),
    };
  }

  #banned(nowMs: number): Admission {
    const msg = `Way too much request weight used; IP banned until ${this.#bannedUntil}. Please use WebSocket Streams for live updates to avoid bans.`;
    return {
      kind: 'banned',
      failure: { status: 418, body: { code: -1003, msg } },
      retryAfterSec: Math.max(1, Math.ceil((this.#bannedUntil - nowMs) / 1000)),
      headers: this.#headers(),
    };
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const w of this.#windows) if (w.header !== undefined) headers[w.header] = String(w.used);
    return headers;
  }
}
