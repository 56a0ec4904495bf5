import { formatUnits8 } from './decimal-format.ts';
import { pricePath } from './price-path.ts';
import type { Topic } from './stream-hub.ts';

/** At most this much simulator time is caught up in one tick (a stalled event loop must not flood). */
const MAX_CATCH_UP_MS = 2000;
const FIREHOSE_QTY = '0.01000000';

/**
 * Bench load: synthetic aggTrade events on `<symbol>@aggTrade` at a fixed rate, batched per tick,
 * E = T = now, ids consecutive from 1 over the simulator's life. Nothing is generated while nobody
 * listens. REST knows nothing of these trades.
 */
export class Firehose {
  readonly symbol: string;
  readonly streamName: string;
  readonly #eventsPerMs: number;
  readonly #seed: number;
  #nextId = 1;
  /** Simulator time up to which events were produced, undefined while nobody listens. */
  #doneUpToMs: number | undefined;
  #carry = 0;

  constructor(seed: number, symbol: string, eventsPerSecond: number) {
    this.#seed = seed;
    this.symbol = symbol;
    this.streamName = `${symbol.toLowerCase()}@aggTrade`;
    this.#eventsPerMs = eventsPerSecond / 1000;
  }

  tick(nowMs: number, topic: Topic | undefined): void {
    if (topic === undefined) {
      this.#doneUpToMs = undefined;
      return;
    }
    if (this.#doneUpToMs === undefined || nowMs - this.#doneUpToMs > MAX_CATCH_UP_MS) this.#doneUpToMs = nowMs;
    if (nowMs <= this.#doneUpToMs) return;
    const exact = (nowMs - this.#doneUpToMs) * this.#eventsPerMs + this.#carry;
    const count = Math.floor(exact);
    this.#carry = exact - count;
    this.#doneUpToMs = nowMs;
    const price = formatUnits8(pricePath(this.#seed, this.symbol).unitsAt(nowMs));
    const head = `{"e":"aggTrade","E":${nowMs},"s":"${this.symbol}","a":`;
    const tail = `,"T":${nowMs},"m":`;
    for (let i = 0; i < count; i++) {
      const id = this.#nextId++;
      topic.publish(`${head}${id},"p":"${price}","q":"${FIREHOSE_QTY}","f":${id},"l":${id}${tail}${(id & 1) === 1},"M":true}`);
    }
  }
}
