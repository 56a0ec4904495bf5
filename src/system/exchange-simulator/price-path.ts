import { hashString, mix32, unitFromHash } from './hash.ts';
import { symbolProfile } from './symbol-profile.ts';

const DAY_MS = 86_400_000;
/** Sine components of the log-price: [period ms, amplitude]. Slow trends down to second-scale wiggle. */
const COMPONENTS: ReadonlyArray<readonly [number, number]> = [
  [400 * DAY_MS, 0.25],
  [31 * DAY_MS, 0.08],
  [DAY_MS, 0.02],
  [3_600_000, 0.004],
  [97_000, 0.0006],
  [7_000, 0.0002],
];

/** Evaluates a symbol's deterministic price, in 1e-8 units rounded to its tick. */
export interface PricePath {
  readonly tickUnits: number;
  unitsAt(timeMs: number): number;
}

const paths = new Map<string, PricePath>();
/** Symbols whose prices follow a synthetic market, by `seed|symbol`, with the market's identity. */
const marketPaths = new Map<string, { readonly path: PricePath; readonly identity: string }>();

/**
 * A sine-like periodic wave of `turns` (period 1, range [-1, 1]) made of two parabolas: smooth
 * enough for prices and several times cheaper than Math.sin on the hot path.
 */
function wave(turns: number): number {
  const t = turns - Math.floor(turns);
  return t < 0.5 ? 16 * t * (0.5 - t) : -16 * (t - 0.5) * (1 - t);
}

/** The price path of (seed, symbol): a smooth function of time, so consecutive klines join up. */
export function pricePath(seed: number, symbol: string): PricePath {
  const cacheKey = `${seed}|${symbol}`;
  const fromMarket = marketPaths.get(cacheKey);
  if (fromMarket !== undefined) return fromMarket.path;
  let path = paths.get(cacheKey);
  if (path === undefined) {
    path = buildPath(seed, symbol);
    paths.set(cacheKey, path);
  }
  return path;
}

function buildPath(seed: number, symbol: string): PricePath {
  const profile = symbolProfile(symbol);
  const key = mix32(seed ^ hashString(symbol));
  const turnsPerMs = COMPONENTS.map(([period]) => 1 / period);
  const amplitudes = COMPONENTS.map(([, amplitude]) => amplitude);
  const phases = COMPONENTS.map((_, i) => unitFromHash(mix32(key + i * 0x9e37_79b9)));
  const tickUnits = 10 ** (8 - profile.priceDecimals);
  const ticksPerWhole = 10 ** profile.priceDecimals;
  // A kline's close is the next kline's open: remembering the last two answers halves the work.
  let lastTime = Number.NaN;
  let lastUnits = 0;
  let otherTime = Number.NaN;
  let otherUnits = 0;
  const compute = (timeMs: number): number => {
    let logPrice = 0;
    for (let i = 0; i < turnsPerMs.length; i++) {
      logPrice += (amplitudes[i] ?? 0) * wave(timeMs * (turnsPerMs[i] ?? 0) + (phases[i] ?? 0));
    }
    const ticks = Math.max(1, Math.round(profile.basePrice * Math.exp(logPrice) * ticksPerWhole));
    return ticks * tickUnits;
  };
  return {
    tickUnits,
    unitsAt(timeMs: number): number {
      if (timeMs === lastTime) return lastUnits;
      if (timeMs === otherTime) return otherUnits;
      otherTime = lastTime;
      otherUnits = lastUnits;
      lastTime = timeMs;
      lastUnits = compute(timeMs);
      return lastUnits;
    },
  };
}

/**
 * Makes `symbol`'s prices under data seed `seed` follow `path` (a synthetic market's) for the rest
 * of the process: klines, trades, books and the firehose all read prices here. Installing the same
 * market again is a no-op; a different market for the same seed and symbol, or a symbol whose
 * default path was already served under that seed, is refused: give the market a seed of its own.
 */
export function installMarketPath(seed: number, symbol: string, identity: string, path: () => PricePath): void {
  const cacheKey = `${seed}|${symbol}`;
  const installed = marketPaths.get(cacheKey);
  if (installed !== undefined) {
    if (installed.identity === identity) return;
    throw new RangeError(`seed ${seed} already serves ${symbol} from another synthetic market in this process; give this market its own seed`);
  }
  if (paths.has(cacheKey)) {
    throw new RangeError(`seed ${seed} already served ${symbol}'s default prices in this process; give the synthetic market its own seed`);
  }
  marketPaths.set(cacheKey, { path: path(), identity });
}
