import type { Interval } from '../../protocol/index.ts';
import { periodText } from './archive-period.ts';
import type { ArchivePeriod } from './archive-period.ts';

/** The archive's data sets this project reads. */
export type ArchiveKind = 'klines' | 'aggTrades';

/** One archive file: whose data, which data set, which period. */
export interface ArchiveFileRef {
  readonly symbol: string;
  readonly kind: ArchiveKind;
  /** The kline interval; klines only. */
  readonly interval?: Interval | undefined;
  readonly period: ArchivePeriod;
}

/** The archive spells the calendar-month interval `1mo` where the REST API says `1M`. */
export function archiveIntervalName(interval: Interval): string {
  return interval === '1M' ? '1mo' : interval;
}

function dataSetName(ref: ArchiveFileRef): string {
  if (ref.kind === 'aggTrades') return 'aggTrades';
  if (ref.interval === undefined) throw new RangeError('a klines archive file needs an interval');
  return archiveIntervalName(ref.interval);
}

/** e.g. `BTCUSDT-1m-2024-07.zip`, `BTCUSDT-aggTrades-2024-08-01.zip`. */
export function archiveFileName(ref: ArchiveFileRef): string {
  return `${ref.symbol}-${dataSetName(ref)}-${periodText(ref.period)}.zip`;
}

/**
 * The file's URL under `baseUrl` (e.g. `https://data.binance.vision`), laid out as
 * `/data/spot/<monthly|daily>/<klines/SYMBOL/INTERVAL|aggTrades/SYMBOL>/<file>.zip`.
 */
export function archiveFileUrl(baseUrl: string, ref: ArchiveFileRef): string {
  const folder = ref.kind === 'klines' ? `klines/${ref.symbol}/${dataSetName(ref)}` : `aggTrades/${ref.symbol}`;
  return `${baseUrl.replace(/\/+$/, '')}/data/spot/${ref.period.source}/${folder}/${archiveFileName(ref)}`;
}

/** The URL of the `.CHECKSUM` file beside the zip: `<sha256 hex>  <file>.zip`. */
export function archiveChecksumUrl(baseUrl: string, ref: ArchiveFileRef): string {
  return `${archiveFileUrl(baseUrl, ref)}.CHECKSUM`;
}
