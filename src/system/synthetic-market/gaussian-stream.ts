/**
 * Standard normal draws addressed by (key, index): a pure function, so any step of a synthetic
 * market can be generated alone and twice gives the same value. Counter-based: splitmix32 over
 * the key and the index's two 32-bit halves, two uniforms, Box–Muller.
 */
export function gaussianAt(key: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4_294_967_296) | 0;
  const h1 = splitmix32(splitmix32(key ^ lo) ^ hi);
  const h2 = splitmix32(h1 ^ 0x68e3_1da4);
  const u1 = (h1 + 0.5) / 4_294_967_296;
  const u2 = h2 / 4_294_967_296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A 32-bit key from a seed and a label (which stream: a factor, a symbol's noise). */
export function streamKey(seed: number, label: string): number {
  let h = splitmix32(seed | 0);
  for (let i = 0; i < label.length; i++) h = splitmix32(h ^ label.charCodeAt(i));
  return h;
}

function splitmix32(x: number): number {
  let z = (x + 0x9e37_79b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85eb_ca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2_ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
