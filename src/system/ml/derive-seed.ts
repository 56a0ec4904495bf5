/**
 * A 32-bit seed derived from a parent seed and a path of labels (`deriveSeed(seed, 'dropout', step)`),
 * so every random choice of a training run follows from its one `seed` parameter without shared state:
 * FNV-1a over the parts, finished by murmur3's fmix32 so neighbouring steps give unrelated seeds.
 */
export function deriveSeed(seed: number, ...path: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of [seed, ...path]) {
    const text = `${typeof part}:${String(part)}|`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
