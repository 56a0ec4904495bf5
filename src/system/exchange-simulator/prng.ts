/** A seeded pseudo-random source returning floats in [0, 1). */
export type Prng = () => number;

/**
 * mulberry32: tiny, fast and good enough for fault injection. Kept separate from the data hashes
 * so that injected faults never change which data the simulator serves.
 */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b_79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
