import type { PriceLevel } from '../../protocol/index.ts';
import { comparePriceKeys, isZeroQuantity, priceKey } from './book-price.ts';

interface Level {
  readonly key: string;
  /** The price as the exchange first wrote it for this level. */
  readonly price: string;
  qty: string;
}

/**
 * One side of a book: levels kept sorted best first (bids descending, asks ascending) in an array,
 * found by binary search. A book holds a few thousand levels at most, where a splice beats a tree.
 */
export class BookSide {
  readonly #levels: Level[] = [];
  /** +1 for asks (ascending), -1 for bids (descending). */
  readonly #direction: 1 | -1;

  constructor(side: 'bids' | 'asks') {
    this.#direction = side === 'asks' ? 1 : -1;
  }

  get size(): number {
    return this.#levels.length;
  }

  /** Sets a level's quantity; a zero quantity removes the level (absent levels stay absent). */
  set(price: string, qty: string): void {
    const key = priceKey(price);
    const { found, index } = this.#find(key);
    if (isZeroQuantity(qty)) {
      if (found) this.#levels.splice(index, 1);
      return;
    }
    const level = this.#levels[index];
    if (found && level) level.qty = qty;
    else this.#levels.splice(index, 0, { key, price, qty });
  }

  clear(): void {
    this.#levels.length = 0;
  }

  /** The best `n` levels, best first. */
  top(n: number): PriceLevel[] {
    const out: PriceLevel[] = [];
    const end = Math.min(n, this.#levels.length);
    for (let i = 0; i < end; i++) {
      const l = this.#levels[i];
      if (l) out.push([l.price, l.qty]);
    }
    return out;
  }

  /** The best price's canonical key, if any. */
  bestKey(): string | undefined {
    return this.#levels[0]?.key;
  }

  /** Where `key` is, or where it would go to keep the order. */
  #find(key: string): { found: boolean; index: number } {
    let lo = 0;
    let hi = this.#levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const level = this.#levels[mid];
      if (level === undefined) break; // unreachable: lo <= mid < hi <= length
      const c = comparePriceKeys(level.key, key) * this.#direction;
      if (c === 0) return { found: true, index: mid };
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return { found: false, index: lo };
  }
}
