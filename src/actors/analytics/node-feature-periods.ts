import { ValidationError } from '../../protocol/index.ts';
import { nodeFeatureNames } from './node-features.ts';
import type { NodeFeaturePeriods } from './node-features.ts';

const PATTERNS: ReadonlyArray<readonly [keyof NodeFeaturePeriods | undefined, RegExp]> = [
  [undefined, /^log_return$/],
  ['volatility', /^vol_(\d{1,6})$/],
  ['rsi', /^rsi_(\d{1,6})$/],
  ['ema', /^close_ema_(\d{1,6})$/],
  ['atr', /^atr_(\d{1,6})_close$/],
  ['vwap', /^close_vwap_(\d{1,6})$/],
  ['volume', /^volume_z_(\d{1,6})$/],
];

/**
 * The periods of the node features a model was trained on, read back from their names
 * (`vol_24`, `rsi_14`, `close_ema_20`, …: see `nodeFeatureNames`), so `predict` builds exactly the
 * features the model saw. Throws a `ValidationError` for names the graph-builder does not write.
 */
export function nodeFeaturePeriodsOf(features: readonly string[]): NodeFeaturePeriods {
  const periods: Partial<Record<keyof NodeFeaturePeriods, number>> = {};
  const fits =
    features.length === PATTERNS.length &&
    PATTERNS.every(([key, pattern], k) => {
      const match = pattern.exec(features[k] ?? '');
      if (match === null) return false;
      if (key !== undefined) periods[key] = Number(match[1]);
      return key === undefined || (periods[key] ?? 0) >= 1;
    });
  const { volatility, rsi, ema, atr, vwap, volume } = periods;
  if (!fits || volatility === undefined || rsi === undefined || ema === undefined || atr === undefined || vwap === undefined || volume === undefined) {
    throw new ValidationError(
      `the model's features [${features.join(', ')}] are not the graph-builder's node features ` +
        `(log_return, vol_<v>, rsi_<r>, close_ema_<e>, atr_<a>_close, close_vwap_<w>, volume_z_<z>): it cannot be fed here`,
    );
  }
  const result: NodeFeaturePeriods = { volatility, rsi, ema, atr, vwap, volume };
  // vol needs 2 returns: nodeFeatureNames round-trips, and the builder's own checks refuse the rest.
  if (nodeFeatureNames(result).join(',') !== features.join(',')) throw new ValidationError(`the model's features [${features.join(', ')}] do not round-trip`);
  return result;
}
