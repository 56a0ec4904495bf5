import { indicatorColumn } from '../../protocol/index.ts';
import type { IndicatorRow, IndicatorSpec } from '../../protocol/index.ts';
import { candleSeries } from './candle-series.ts';
import type { CandleFields } from './candle-series.ts';
import { indicatorValues } from './indicator-values.ts';

/** `streamforge indicators`: the header and one row per candle. */
export interface IndicatorTable {
  /** `open_time`, then one column per indicator in the order asked (`ema_20`, `log_return`, …). */
  readonly columns: readonly string[];
  /** Values `null` during warm-up (and where undefined, e.g. a VWAP over a window without volume). */
  readonly rows: IndicatorRow[];
}

/** Indicators of one symbol's candles (strictly increasing open times). */
export function indicatorTable(candles: readonly CandleFields[], specs: readonly IndicatorSpec[]): IndicatorTable {
  const series = candleSeries(candles);
  const names = specs.map(indicatorColumn);
  const values = specs.map((spec) => indicatorValues(series, spec));
  const rows: IndicatorRow[] = new Array<IndicatorRow>(series.length);
  for (let i = 0; i < series.length; i++) {
    const row: IndicatorRow = { open_time: series.openTime[i] ?? 0 };
    for (let k = 0; k < names.length; k++) {
      const v = values[k]?.[i] ?? Number.NaN;
      row[names[k] ?? ''] = Number.isFinite(v) ? v : null;
    }
    rows[i] = row;
  }
  return { columns: ['open_time', ...names], rows };
}
