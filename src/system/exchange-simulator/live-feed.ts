import type { AggTradeRow } from './agg-trade-generator.ts';
import { queryAggTrades } from './agg-trade-query.ts';
import { formatBigUnits8 } from './decimal-format.ts';
import { DepthFeed } from './depth-feed.ts';
import type { DepthBooks } from './depth-books.ts';
import { Firehose } from './firehose.ts';
import { publishKlines } from './kline-feed.ts';
import type { FeedContext } from './kline-feed.ts';
import { aggTradeEvent, tradeEvent } from './live-events.ts';
import { forEachSingleTrade, tradeSplitKey } from './single-trades.ts';
import type { StreamHub, Topic } from './stream-hub.ts';

/** A clock jump sends at most this much history (an hour of 1s klines, ~11k aggTrades per symbol). */
const MAX_CATCH_UP_MS = 3_600_000;

/**
 * Produces the live events of every subscribed stream, tick by tick, on the simulator clock: each
 * tick sends the events with a time in (last tick, now], the same data REST serves.
 */
export class LiveFeed {
  readonly #ctx: FeedContext;
  readonly #hub: StreamHub;
  readonly #nowMs: () => number;
  readonly #depth: DepthFeed;
  readonly #firehose: Firehose | undefined;
  #lastTickMs: number;

  constructor(
    ctx: FeedContext,
    hub: StreamHub,
    books: DepthBooks,
    nowMs: () => number,
    firehose: { symbol: string; eventsPerSecond: number } | undefined,
  ) {
    this.#ctx = ctx;
    this.#hub = hub;
    this.#nowMs = nowMs;
    this.#depth = new DepthFeed(books);
    this.#firehose = firehose === undefined ? undefined : new Firehose(ctx.seed, firehose.symbol, firehose.eventsPerSecond);
    this.#lastTickMs = nowMs();
  }

  tick(): void {
    const nowMs = this.#nowMs();
    const fromMs = Math.max(this.#lastTickMs, nowMs - MAX_CATCH_UP_MS);
    // A clock moved backwards sends nothing until it passes the last tick again: events never repeat.
    const window = nowMs > fromMs;
    if (window) this.#lastTickMs = nowMs;
    const aggsBySymbol = new Map<string, AggTradeRow[]>();
    const depthTopics = new Map<string, Topic[]>();
    for (const topic of this.#hub.topics()) {
      const { spec } = topic;
      switch (spec.kind) {
        case 'depth': {
          const list = depthTopics.get(spec.symbol);
          if (list === undefined) depthTopics.set(spec.symbol, [topic]);
          else list.push(topic);
          break;
        }
        case 'kline':
          if (window) publishKlines(topic, spec.symbol, spec.interval, this.#ctx, fromMs, nowMs);
          break;
        case 'aggTrade':
          if (window && spec.symbol !== this.#firehose?.symbol) {
            for (const agg of this.#aggs(aggsBySymbol, spec.symbol, fromMs, nowMs)) topic.publish(aggTradeEvent(spec.symbol, nowMs, agg));
          }
          break;
        case 'trade':
          if (window) this.#publishTrades(topic, spec.symbol, this.#aggs(aggsBySymbol, spec.symbol, fromMs, nowMs), nowMs);
          break;
      }
    }
    this.#depth.tick(nowMs, depthTopics);
    if (this.#firehose !== undefined) this.#firehose.tick(nowMs, this.#hub.topic(this.#firehose.streamName));
  }

  #aggs(cache: Map<string, AggTradeRow[]>, symbol: string, fromMs: number, nowMs: number): AggTradeRow[] {
    let aggs = cache.get(symbol);
    if (aggs === undefined) {
      aggs = queryAggTrades({
        seed: this.#ctx.seed,
        symbol,
        listedAtMs: this.#ctx.listedAtMs.get(symbol) ?? 0,
        holes: this.#ctx.holes.get(symbol) ?? [],
        nowMs,
        startTime: fromMs + 1,
        endTime: nowMs,
        limit: Number.POSITIVE_INFINITY,
      });
      cache.set(symbol, aggs);
    }
    return aggs;
  }

  #publishTrades(topic: Topic, symbol: string, aggs: readonly AggTradeRow[], nowMs: number): void {
    const key = tradeSplitKey(this.#ctx.seed, symbol);
    for (const agg of aggs) {
      forEachSingleTrade(agg, key, (id, qtyUnits) => topic.publish(tradeEvent(symbol, nowMs, id, formatBigUnits8(qtyUnits), agg)));
    }
  }
}
