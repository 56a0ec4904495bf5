/**
 * Cheap, deterministic integer hashing. Data generation must be a pure function of its inputs and
 * fast enough to build 1000 klines in well under a millisecond, so no node:crypto here.
 */

const TWO_POW_32 = 4_294_967_296;

/** murmur3's 32-bit finaliser: a bijective avalanche on one 32-bit word. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string. */
export function hashString(text: string): number {
  let h = 0x811c_9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x0100_0193);
  }
  return h >>> 0;
}

/**
 * Hashes a key (two 32-bit words, typically seed and symbol) with a millisecond timestamp and a
 * salt into one unsigned 32-bit word. Timestamps exceed 2^32, so both halves are mixed in.
 */
export function hashKey(key: number, timeMs: number, salt: number): number {
  const lo = timeMs >>> 0;
  const hi = Math.floor(timeMs / TWO_POW_32) | 0;
  let h = mix32(key ^ Math.imul(salt, 0x9e37_79b9));
  h = mix32(h ^ lo);
  h = mix32(h ^ hi ^ 0x27d4_eb2d);
  return h;
}

/** A hash word mapped to [0, 1). */
export function unitFromHash(h: number): number {
  return h / TWO_POW_32;
}
