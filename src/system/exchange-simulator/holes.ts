/** A maintenance window: nothing (no kline, no trade) exists with a time in [fromMs, toMs). */
export interface Hole {
  readonly symbol?: string;
  readonly fromMs: number;
  readonly toMs: number;
}

/** Holes of one symbol: sorted, non-overlapping, never empty ranges. */
export type SymbolHoles = ReadonlyArray<{ readonly fromMs: number; readonly toMs: number }>;

/** The holes that apply to `symbol` (its own and the global ones), sorted and merged. */
export function holesFor(symbol: string, holes: readonly Hole[] | undefined): SymbolHoles {
  const ranges = (holes ?? [])
    .filter((h) => (h.symbol === undefined || h.symbol === symbol) && h.toMs > h.fromMs)
    .map((h) => ({ fromMs: h.fromMs, toMs: h.toMs }))
    .sort((a, b) => a.fromMs - b.fromMs);
  const merged: Array<{ fromMs: number; toMs: number }> = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last !== undefined && range.fromMs <= last.toMs) last.toMs = Math.max(last.toMs, range.toMs);
    else merged.push(range);
  }
  return merged;
}

/** The hole containing `timeMs`, if any. */
export function holeAt(holes: SymbolHoles, timeMs: number): { readonly fromMs: number; readonly toMs: number } | undefined {
  for (const hole of holes) {
    if (timeMs < hole.fromMs) return undefined;
    if (timeMs < hole.toMs) return hole;
  }
  return undefined;
}
