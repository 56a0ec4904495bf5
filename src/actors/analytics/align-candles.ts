import type { CandleFields } from './candle-series.ts';

/** One time step across N symbols: each symbol's candle opening at `time`, or undefined where it has none. */
export interface AlignedStep {
  readonly time: number;
  readonly candles: ReadonlyArray<CandleFields | undefined>;
}

/**
 * Merges N symbols' candles (each in increasing open time) into time steps: one step per open time
 * at which at least one symbol has a candle. An open time no symbol has (the exchange down) is no
 * step at all; a symbol missing where others have a candle is left undefined for the consumer's
 * hole rule (see `HoleFiller`).
 */
export function alignCandles(bySymbol: ReadonlyArray<readonly CandleFields[]>): AlignedStep[] {
  const cursors = bySymbol.map(() => 0);
  const steps: AlignedStep[] = [];
  for (;;) {
    let time = Number.POSITIVE_INFINITY;
    bySymbol.forEach((candles, s) => {
      const c = candles[cursors[s] ?? 0];
      if (c !== undefined && c.open_time < time) time = c.open_time;
    });
    if (time === Number.POSITIVE_INFINITY) return steps;
    const candles = bySymbol.map((list, s) => {
      const c = list[cursors[s] ?? 0];
      if (c === undefined || c.open_time !== time) return undefined;
      cursors[s] = (cursors[s] ?? 0) + 1;
      return c;
    });
    steps.push({ time, candles });
  }
}
