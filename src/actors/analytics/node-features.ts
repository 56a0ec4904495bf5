import { Atr } from './atr.ts';
import { Ema } from './ema.ts';
import { RollingVolatility } from './rolling-volatility.ts';
import { RollingVwap } from './rolling-vwap.ts';
import { RollingWindow } from './rolling-window.ts';
import { Rsi } from './rsi.ts';

/** Periods (candles) of the node features. */
export interface NodeFeaturePeriods {
  /** @defaultValue 24 */
  readonly volatility: number;
  /** @defaultValue 14 */
  readonly rsi: number;
  /** @defaultValue 20 */
  readonly ema: number;
  /** @defaultValue 14 */
  readonly atr: number;
  /** @defaultValue 24 */
  readonly vwap: number;
  /** Volumes the z-score compares with (the graph's window by default). @defaultValue 168 */
  readonly volume: number;
}

export const DEFAULT_NODE_FEATURE_PERIODS: NodeFeaturePeriods = { volatility: 24, rsi: 14, ema: 20, atr: 14, vwap: 24, volume: 168 };

/**
 * The F = 7 features of a node at a step, all dimensionless so symbols of any price compare:
 * 1. `log_return`: ln(close_t / close_{t−1});
 * 2. `vol_<v>`: sample std of the last v log returns;
 * 3. `rsi_<r>`: RSI(r) / 100 − 0.5, in [−0.5, 0.5];
 * 4. `close_ema_<e>`: close / EMA(e) − 1;
 * 5. `atr_<a>_close`: ATR(a) / close;
 * 6. `close_vwap_<w>`: close / VWAP(w) − 1 (0 when the window traded nothing);
 * 7. `volume_z_<z>`: (volume − mean) / sample std of the last z volumes, this one included (0 when they are all equal).
 */
export function nodeFeatureNames(p: NodeFeaturePeriods): string[] {
  return ['log_return', `vol_${p.volatility}`, `rsi_${p.rsi}`, `close_ema_${p.ema}`, `atr_${p.atr}_close`, `close_vwap_${p.vwap}`, `volume_z_${p.volume}`];
}

/** Steps (from a node's first candle) before every feature is defined. */
export function nodeFeatureWarmup(p: NodeFeaturePeriods): number {
  return Math.max(p.volatility, p.rsi, p.ema - 1, p.atr, p.vwap - 1, p.volume - 1);
}

/** The streaming state of one node's features. */
export class NodeFeatures {
  static readonly count = 7;
  readonly #volatility: RollingVolatility;
  readonly #rsi: Rsi;
  readonly #ema: Ema;
  readonly #atr: Atr;
  readonly #vwap: RollingVwap;
  readonly #volume: RollingWindow;

  constructor(p: NodeFeaturePeriods) {
    this.#volatility = new RollingVolatility(p.volatility);
    this.#rsi = new Rsi(p.rsi);
    this.#ema = new Ema(p.ema);
    this.#atr = new Atr(p.atr);
    this.#vwap = new RollingVwap(p.vwap);
    this.#volume = new RollingWindow(p.volume);
  }

  /** Takes the node's candle of this step; writes its 7 features at `out[offset…]` (NaN while warming up). */
  update(high: number, low: number, close: number, volume: number, logReturn: number, out: Float64Array, offset: number): void {
    const vol = Number.isNaN(logReturn) ? Number.NaN : this.#volatility.updateReturn(logReturn);
    const rsi = this.#rsi.update(close);
    const ema = this.#ema.update(close);
    const atr = this.#atr.update(high, low, close);
    const vwap = this.#vwap.update(high, low, close, volume);
    this.#volume.push(volume);
    const sd = Math.sqrt(this.#volume.variance());
    out[offset] = logReturn;
    out[offset + 1] = vol;
    out[offset + 2] = rsi / 100 - 0.5;
    out[offset + 3] = close / ema - 1;
    out[offset + 4] = atr / close;
    out[offset + 5] = Number.isNaN(vwap) ? (this.#vwap.warm ? 0 : Number.NaN) : close / vwap - 1;
    out[offset + 6] = !this.#volume.full ? Number.NaN : sd > 0 ? (volume - this.#volume.mean()) / sd : 0;
  }
}
