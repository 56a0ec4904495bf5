import type { TimeRange } from '../../protocol/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import type { Clock } from '../ports/index.ts';
import { Backoff } from '../retry/index.ts';
import type { BackoffPolicy } from '../retry/index.ts';
import type { KeyedRecord, LiveSeries } from './live-series.ts';
import type { RecordSequence } from './record-sequence.ts';

/** Why REST is asked: the range's past, a restart, a reconnect, a gap in the live keys, the range's tail. */
export type FillReason = 'backfill' | 'resume' | 'reconnect' | 'gap' | 'end';

/** A gap REST would not fill however often asked: the series goes on past it without its records. */
export interface UnrepairedGap {
  /** The last key handled before the gap. */
  readonly after_key: number;
  /** The first key after it (a live event). */
  readonly until_key: number;
  /** How many records can lie in it. */
  readonly records: number;
}

/** A finished fill: the interval it covered and what it found. */
export interface FillReport {
  readonly reason: FillReason;
  readonly after_key: number;
  /** The first live event held back, if any. */
  readonly until_key: number | null;
  readonly records: number;
  readonly ms: number;
  /** Set when this fill gave the gap up. */
  readonly unrepaired?: UnrepairedGap;
}

export interface GapFillerOptions {
  readonly series: LiveSeries;
  readonly range: TimeRange;
  readonly sequence: RecordSequence;
  readonly clock: Clock;
  /** Waits before asking REST again for a gap it did not fill; past the budget the gap is given up and reported (the `liveGapFill` policy). */
  readonly retry: BackoffPolicy;
}

/** Live events handled per step. */
const MAX_DRAIN = 5_000;
/** How often the range's tail is asked for again while its last candle is still open. */
const END_RETRY_MS = 1_000;

interface Fill {
  readonly reason: FillReason;
  readonly afterKey: number;
  readonly startedAt: number;
  records: number;
}

/**
 * Keeps a live series whole: hands on held live events while they follow on, and fills over REST,
 * one page per step, whatever lies before the next one (or before the range's end): the range's past
 * at the start, what a restart or a disconnect missed, any jump in the keys.
 */
export class GapFiller {
  readonly #o: GapFillerOptions;
  #fill: Fill | undefined;
  #requested: FillReason | undefined;
  /** Fills in a row that left their gap open (the exchange lagging, or missing the records). */
  readonly #fruitless: Backoff;
  #nextStartProbeAt = 0;
  /** How long to wait before the next step (0: at once or at the usual pace). */
  delayMs = 0;

  constructor(options: GapFillerOptions) {
    this.#o = options;
    this.#fruitless = new Backoff(options.retry);
  }

  /** What is being filled, if anything. */
  get filling(): FillReason | undefined {
    return this.#fill?.reason;
  }

  /** Asks for a fill up to the live data as soon as possible (the first asked for wins). */
  request(reason: FillReason): void {
    this.#requested ??= reason;
  }

  /**
   * One step: a REST page, or held live events handed on (then a fill started if one is due). `ending`:
   * the range's end has passed, so REST is asked up to it. Reports a finished fill to `onFilled`.
   */
  async step(client: BinanceRestClient, ending: boolean, handOn: (r: KeyedRecord) => void, onFilled: (report: FillReport) => void): Promise<void> {
    const seq = this.#o.sequence;
    this.delayMs = 0;
    if (seq.lastKey === null) {
      await this.#findStart(client, ending);
      return;
    }
    if (!this.#fill) {
      seq.drain(MAX_DRAIN, handOn);
      const reason = this.#due(ending);
      if (!reason) return;
      this.#requested = undefined;
      this.#fill = { reason, afterKey: seq.lastKey, startedAt: this.#o.clock.now(), records: 0 };
    }
    await this.#page(client, this.#fill, ending, handOn, onFilled);
  }

  /** The key before the range's first record: from live data that began earlier, or over REST. */
  async #findStart(client: BinanceRestClient, ending: boolean): Promise<void> {
    const seq = this.#o.sequence;
    if (seq.startFromLive()) {
      this.#requested = undefined;
      return;
    }
    const now = client.serverNow();
    if (now < this.#nextStartProbeAt) return;
    const key = await this.#o.series.keyBefore(client, this.#o.range.fromMs);
    if (key !== undefined) {
      seq.lastKey = key;
      return;
    }
    // Nothing at or after the start yet: look again soon, or, past the end, there is nothing to load.
    this.#nextStartProbeAt = now + 1_000;
    if (ending) seq.complete = true;
  }

  #due(ending: boolean): FillReason | undefined {
    const seq = this.#o.sequence;
    // Live events wait (more than a step's worth) and follow on: there is nothing to fill yet.
    if (seq.next() !== undefined) return seq.gapAhead() ? (this.#requested ?? 'gap') : undefined;
    return this.#requested ?? (ending && !seq.complete ? 'end' : undefined);
  }

  async #page(client: BinanceRestClient, fill: Fill, ending: boolean, handOn: (r: KeyedRecord) => void, onFilled: (report: FillReport) => void): Promise<void> {
    const seq = this.#o.sequence;
    const after = seq.lastKey;
    if (after === null) return;
    const untilKey = seq.next()?.key;
    // Nothing between the last record and the next live event: nothing to ask.
    if (untilKey === undefined || seq.gapAhead()) {
      const page = await this.#o.series.fetchAfter(client, after, { untilKey, toMs: ending ? this.#o.range.toMs : undefined });
      for (const r of page.records) {
        if (seq.lastKey !== null && r.key <= seq.lastKey) continue;
        if (seq.accept(r)) {
          handOn(r);
          fill.records++;
        }
      }
      if (page.reachedEnd) seq.complete = true;
      if (page.more) return;
      seq.coveredTo(page.coveredTo);
    }
    this.#fill = undefined;
    const unrepaired = this.#settle(fill, untilKey);
    const report = { reason: fill.reason, after_key: fill.afterKey, until_key: untilKey ?? null, records: fill.records, ms: this.#o.clock.now() - fill.startedAt };
    onFilled(unrepaired ? { ...report, unrepaired } : report);
  }

  /** A fill that left the gap open is tried again a little later, then given up on: the gap is returned, to be counted and said. */
  #settle(fill: Fill, untilKey: number | undefined): UnrepairedGap | undefined {
    const seq = this.#o.sequence;
    const last = seq.lastKey;
    const open = untilKey !== undefined && last !== null && seq.gapAhead() && fill.records === 0;
    let unrepaired: UnrepairedGap | undefined;
    const retryMs = open ? this.#fruitless.next(this.#o.clock.now()) : undefined;
    if (!open) this.#fruitless.reset();
    else if (retryMs !== undefined) this.delayMs = retryMs;
    else {
      unrepaired = { after_key: last, until_key: untilKey, records: this.#o.series.missingBetween(last, untilKey) };
      seq.lastKey = untilKey - 1;
      this.#fruitless.reset();
    }
    // The range's last candle is still open: ask again shortly (or it arrives live first).
    if (fill.reason === 'end' && !seq.complete) this.delayMs = Math.max(this.delayMs, END_RETRY_MS);
    return unrepaired;
  }
}
