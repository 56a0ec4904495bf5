import type { z } from 'zod';
import type { SeriesRecord } from '../../protocol/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';

/** A record with what orders and dedupes it: the trade id, or the candle's open time. */
export interface KeyedRecord {
  readonly key: number;
  /** Its time on the series' sort field (epoch ms). */
  readonly time: number;
  readonly record: SeriesRecord;
  /**
   * Every record with a time before this has a key up to this record's: a trade's time (ids grow with
   * time), a candle's close time + 1 (the next candle opens after it).
   */
  readonly doneBefore: number;
  /** The exchange's event time (`E`), for live events: latency is measured from it. */
  readonly eventTime?: number;
}

/**
 * What a live event gives: a record; `skip` for an event that is no record by design (a candle not
 * closed yet, another interval); `invalid` for one that fails the stream's schema (the exchange changed
 * its format, or sent garbage): that one is rejected and counted, never dropped silently.
 */
export type LiveEventResult =
  | { readonly kind: 'record'; readonly record: KeyedRecord }
  | { readonly kind: 'skip' }
  | { readonly kind: 'invalid'; readonly error: z.ZodError };

/** One page of records fetched over REST after a key. */
export interface RestPage {
  /** Oldest first, every key greater than the key asked after. */
  readonly records: readonly KeyedRecord[];
  /** More may follow within the bounds asked for. */
  readonly more: boolean;
  /** When `more` is false: the exchange has nothing else with a key up to this one. */
  readonly coveredTo: number;
  /** With `toMs` asked for: the exchange has nothing more before it (the range is complete up to here). */
  readonly reachedEnd: boolean;
}

export interface FetchBounds {
  /** Stop before this key (the first live event held back). */
  readonly untilKey?: number | undefined;
  /** Records at or after this time end the page (the end of the range). */
  readonly toMs?: number | undefined;
}

/** How one live record type is streamed, keyed and fetched over REST to fill gaps. */
export interface LiveSeries {
  /** The stream name, e.g. `btcusdt@aggTrade`. */
  readonly stream: string;
  /** What to produce from a live event (see {@link LiveEventResult}). */
  fromEvent(data: unknown): LiveEventResult;
  /** True when `key` directly follows `last`: nothing can be missing between them. */
  follows(last: number, key: number): boolean;
  /** How many records can lie strictly between keys `last` and `key`. */
  missingBetween(last: number, key: number): number;
  /** The key just before the first record at or after `fromMs`, or undefined when there is none yet. */
  keyBefore(client: BinanceRestClient, fromMs: number): Promise<number | undefined>;
  /** The records after `afterKey`, oldest first, one page. */
  fetchAfter(client: BinanceRestClient, afterKey: number, bounds: FetchBounds): Promise<RestPage>;
}
