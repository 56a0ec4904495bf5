import type { Candle } from '../../src/protocol/index.ts';

/**
 * Deterministic random candles for indicator tests: a log-normal walk with gaps between one close
 * and the next open (so true ranges reach back to the previous close), highs and lows around the
 * body, volumes with some zeros, all printed as 8-decimal strings like the exchange's.
 */
export function randomCandles(count: number, seed: number, options: { startMs?: number; stepMs?: number; price?: number } = {}): Candle[] {
  const next = mulberry32(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const startMs = options.startMs ?? Date.UTC(2024, 0, 1);
  const stepMs = options.stepMs ?? 3_600_000;
  let close = options.price ?? 100;
  const candles: Candle[] = [];
  for (let k = 0; k < count; k++) {
    const open = close * Math.exp(next() < 0.2 ? 0.004 * normal() : 0);
    close = open * Math.exp(0.01 * normal());
    const high = Math.max(open, close) * (1 + 0.004 * next());
    const low = Math.min(open, close) * (1 - 0.004 * next());
    const volume = next() < 0.03 ? 0 : 10 + 90 * next();
    const openTime = startMs + k * stepMs;
    candles.push({
      open_time: openTime,
      open: open.toFixed(8),
      high: high.toFixed(8),
      low: low.toFixed(8),
      close: close.toFixed(8),
      volume: volume.toFixed(8),
      close_time: openTime + stepMs - 1,
      quote_asset_volume: (volume * close).toFixed(8),
      number_of_trades: Math.round(volume),
      taker_buy_base_asset_volume: (volume / 2).toFixed(8),
      taker_buy_quote_asset_volume: ((volume * close) / 2).toFixed(8),
      symbol: 'TESTUSDT',
      interval: '1h',
    });
  }
  return candles;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b_79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
