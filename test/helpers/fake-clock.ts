import type { Clock, Timer } from '../../src/actors/ports/index.ts';

/**
 * What `sleep` does:
 * - `advance` (the default): time moves forward by the delay at once (firing the timers due on the
 *   way) and the sleep resolves: code that only sleeps runs through without the test doing anything;
 * - `hold`: the sleep stays pending until its signal aborts (the code is caught mid-wait);
 * - `timer`: the sleep is a timer like the others: it resolves when the test advances past it.
 */
export type SleepMode = 'advance' | 'hold' | 'timer';

export interface AdvanceUntilOptions {
  /** Fake time it may move from the start. @defaultValue 1 hour */
  readonly maxMs?: number;
  /** Only timers due within this of now fire; for a later one, the probe must move first (real I/O). @defaultValue no limit */
  readonly horizonMs?: number;
  /** Real time to wait with no timer to fire before giving up. @defaultValue 10000 */
  readonly idleMs?: number;
}

export interface FakeClockOptions {
  /** @defaultValue 'advance' */
  readonly sleeps?: SleepMode;
  /** The same as `sleeps: 'hold'`. */
  readonly holdSleeps?: boolean;
}

/** Immediate sleeps resolve in microtasks, where a runaway wait loop would starve the test runner: past this, sleep rejects. */
const MAX_SLEEPS = 10_000;
/** Timers one advance may fire: an interval far shorter than the advance is a test mistake, not a workload. */
const MAX_FIRES = 200_000;

interface Entry {
  readonly id: number;
  at: number;
  /** Intervals only. */
  readonly every?: number;
  readonly fire: () => void;
}

/** One real turn of the event loop: what a fired timer started (actor messages, I/O callbacks) runs before the next one fires. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Turns enough for work in hand (a few actor messages, their microtasks) to run. */
const SETTLE_TURNS = 10;

/** Lets the work in hand run: a few real turns of the event loop. */
export async function settle(): Promise<void> {
  for (let i = 0; i < SETTLE_TURNS; i++) await turn();
}

/** Settles until `done` holds, at most `times` times: waits on work in hand, never on real time. */
export async function settleUntil(done: () => boolean, times = 200): Promise<void> {
  for (let i = 0; i < times && !done(); i++) await settle();
}

/**
 * A clock the test drives, in the manner of @sinonjs/fake-timers: timers and sleeps (see {@link SleepMode})
 * fire only as the test moves time with {@link advance}, in the order they are due, each at its own
 * time. `sleeps` records every delay asked of `sleep`, in order.
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  readonly #mode: SleepMode;
  #now: number;
  #entries: Entry[] = [];
  #ids = 0;

  constructor(startMs: number, options: FakeClockOptions = {}) {
    this.#now = startMs;
    this.#mode = options.sleeps ?? (options.holdSleeps ? 'hold' : 'advance');
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.sleeps.length >= MAX_SLEEPS) return Promise.reject(new Error(`runaway: more than ${MAX_SLEEPS} sleeps`));
    this.sleeps.push(ms);
    if (this.#mode === 'advance') {
      this.#runTo(this.#now + Math.max(0, ms));
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = this.#mode === 'timer' ? this.#schedule(() => resolve(), ms, undefined, signal) : undefined;
      signal?.addEventListener(
        'abort',
        () => {
          if (entry) this.#remove(entry);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    });
  }

  setTimeout(callback: () => void, ms: number, signal?: AbortSignal): Timer {
    return this.#timer(this.#schedule(callback, ms, undefined, signal));
  }

  setInterval(callback: () => void, ms: number, signal?: AbortSignal): Timer {
    return this.#timer(this.#schedule(callback, ms, Math.max(1, ms), signal));
  }

  /** Timers and timed sleeps waiting to fire. */
  get pending(): number {
    return this.#entries.length;
  }

  /** When the next timer or timed sleep is due, if any. */
  nextAt(): number | undefined {
    return this.#next()?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer and timed sleep due on the way (those they start
   * too) in order, each at its due time, with a real event-loop turn after each so that what it
   * started runs before the next fires.
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + Math.max(0, ms));
  }

  /** {@link advance} to an absolute time (never backwards). */
  async advanceTo(targetMs: number): Promise<void> {
    let fires = 0;
    for (let entry = this.#due(targetMs); entry; entry = this.#due(targetMs)) {
      if (++fires > MAX_FIRES) throw new Error(`runaway: more than ${MAX_FIRES} timers fired in one advance`);
      this.#fire(entry);
      await turn();
    }
    this.#now = Math.max(this.#now, targetMs);
    await turn();
  }

  /** Fires what is due now (zero delays, and what those schedule for now), a real turn after each, until nothing is due now. */
  async runUntilIdle(): Promise<void> {
    await settle();
    await this.advanceTo(this.#now);
  }

  /**
   * Moves time from timer to timer until `probe` returns something other than undefined, and returns
   * it. Before each move it lets the work under way run (a few real turns of the event loop). With no
   * timer to fire (none left, or none within `horizonMs`) it waits in real time for the probe or a timer:
   * an answer over a socket may be on its way. Fails, naming `what`, past `maxMs` of fake time or
   * `idleMs` of real time with nothing to fire.
   */
  async advanceUntil<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, options: AdvanceUntilOptions = {}): Promise<T> {
    const { maxMs = 3_600_000, horizonMs = Number.POSITIVE_INFINITY, idleMs = 10_000 } = options;
    const limit = this.#now + maxMs;
    let idleSince = performance.now();
    for (;;) {
      await settle();
      const value = await probe();
      if (value !== undefined) return value;
      const next = this.nextAt();
      if (next !== undefined && next - this.#now <= horizonMs) {
        if (next > limit) throw new Error(`${what}: not reached within ${maxMs} ms of fake time`);
        await this.advanceTo(next);
        idleSince = performance.now();
        continue;
      }
      if (performance.now() - idleSince > idleMs) throw new Error(`${what}: not reached, and no timer ${next === undefined ? 'is left' : `within ${horizonMs} ms`} to fire`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** {@link advanceUntil} `promise` settles: its value, or its rejection. */
  async advanceUntilSettled<T>(promise: Promise<T>, options: AdvanceUntilOptions = {}): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    // Handled below once settled; marked handled now, so a rejection while time moves is no unhandled one.
    watched.catch(() => undefined);
    await this.advanceUntil('the promise to settle', () => (settled ? true : undefined), options);
    return watched;
  }

  #schedule(fire: () => void, ms: number, every: number | undefined, signal: AbortSignal | undefined): Entry | undefined {
    if (signal?.aborted) return undefined;
    const entry: Entry = { id: ++this.#ids, at: this.#now + Math.max(0, ms), fire, ...(every === undefined ? {} : { every }) };
    this.#entries.push(entry);
    signal?.addEventListener('abort', () => this.#remove(entry), { once: true });
    return entry;
  }

  #timer(entry: Entry | undefined): Timer {
    return { cancel: () => (entry ? this.#remove(entry) : undefined) };
  }

  #remove(entry: Entry): void {
    this.#entries = this.#entries.filter((e) => e !== entry);
  }

  #next(): Entry | undefined {
    let next: Entry | undefined;
    for (const e of this.#entries) if (!next || e.at < next.at || (e.at === next.at && e.id < next.id)) next = e;
    return next;
  }

  #due(targetMs: number): Entry | undefined {
    const next = this.#next();
    return next && next.at <= targetMs ? next : undefined;
  }

  /** Synchronously, for sleeps that move time themselves. */
  #runTo(targetMs: number): void {
    let fires = 0;
    for (let entry = this.#due(targetMs); entry; entry = this.#due(targetMs)) {
      if (++fires > MAX_FIRES) throw new Error(`runaway: more than ${MAX_FIRES} timers fired in one sleep`);
      this.#fire(entry);
    }
    this.#now = Math.max(this.#now, targetMs);
  }

  #fire(entry: Entry): void {
    this.#now = Math.max(this.#now, entry.at);
    if (entry.every === undefined) this.#remove(entry);
    else entry.at += entry.every;
    entry.fire();
  }
}
