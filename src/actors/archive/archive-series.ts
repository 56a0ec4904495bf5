import { aggTradeFromRow, candleFromKline, INTERVAL_MS } from '../../protocol/index.ts';
import type { AggTrade, Candle, Interval, ParsedStreamType } from '../../protocol/index.ts';
import type { BinanceRestClient } from '../exchange/index.ts';
import { readAggTradesCsv, readKlinesCsv } from './archive-csv.ts';
import type { CsvBounds, OnRepeat } from './archive-csv.ts';
import { DAY_MS } from './archive-period.ts';
import type { ArchiveKind } from './archive-paths.ts';
import type { RestPiece } from './range-planner.ts';
import { restAggTradePages, restKlinePages } from './rest-pages.ts';

export type ArchiveRecord = Candle | AggTrade;

/** How the archive loader reads one kind of series: from files, over REST, and what counts as final. */
export interface ArchiveSeries {
  readonly kind: ArchiveKind;
  readonly interval: Interval | undefined;
  /** `candles` or `trades`, for messages. */
  readonly noun: string;
  /**
   * Whether whole months come from monthly files. Not for trades: a busy symbol's month of trades is
   * gigabytes, too much to download and unzip in memory; its days are a few hundred MB at most.
   */
  readonly monthlyFiles: boolean;
  /** Whether the archive publishes daily files: klines up to 1d (not 3d, 1w, 1mo); trades. */
  readonly dailyFiles: boolean;
  /** Files downloaded (and unzipped) ahead of the one being read; each is held in memory. */
  readonly prefetchFiles: number;
  /** Metric label of records read from files and over REST. */
  readonly sources: { readonly file: string; readonly rest: string };
  /**
   * The rows of a verified file's CSV, as read and checked (exact repeats skipped and told to
   * `onRepeat`); throws `CsvRowError` on a malformed or out-of-order row. For checking a whole file
   * before any of its records is produced.
   */
  fileRows(csv: Uint8Array, bounds: CsvBounds, onRepeat: OnRepeat): Iterable<unknown>;
  /** Records of a verified file's CSV, in file order, exact repeats skipped; throws `CsvRowError` on a bad row. */
  fileRecords(csv: Uint8Array, bounds: CsvBounds): Iterable<ArchiveRecord>;
  restPages(client: BinanceRestClient, piece: RestPiece): AsyncIterable<ArchiveRecord[]>;
  /** The series' time: a candle's open time, a trade's time. */
  time(record: ArchiveRecord): number;
  /** Data, as opposed to not final yet: a candle closed before the exchange's now; any trade. */
  isFinal(record: ArchiveRecord, nowMs: number): boolean;
  /** When the symbol's data begins (its first record, at or before `toMs`), or undefined if it has none. */
  firstDataTime(client: BinanceRestClient, toMs: number): Promise<number | undefined>;
}

const time = (r: ArchiveRecord): number => ('open_time' in r ? r.open_time : r.timestamp);

function candles(symbol: string, interval: Interval): ArchiveSeries {
  return {
    kind: 'klines',
    interval,
    noun: 'candles',
    monthlyFiles: true,
    dailyFiles: INTERVAL_MS[interval] <= DAY_MS,
    prefetchFiles: 2,
    sources: { file: 'archive_candles', rest: 'api_candles' },
    fileRows: (csv, bounds, onRepeat) => readKlinesCsv(csv, bounds, onRepeat),
    *fileRecords(csv, bounds) {
      for (const row of readKlinesCsv(csv, bounds)) yield candleFromKline(row, symbol, interval);
    },
    async *restPages(client, piece) {
      for await (const rows of restKlinePages(client, symbol, interval, piece)) yield rows.map((r) => candleFromKline(r, symbol, interval));
    },
    time,
    isFinal: (r, nowMs) => 'close_time' in r && r.close_time < nowMs,
    async firstDataTime(client, toMs) {
      const [first] = await client.klines(symbol, interval, 0, toMs - 1, 1);
      return first?.[0];
    },
  };
}

function aggTrades(symbol: string): ArchiveSeries {
  return {
    kind: 'aggTrades',
    interval: undefined,
    noun: 'trades',
    monthlyFiles: false,
    dailyFiles: true,
    prefetchFiles: 1,
    sources: { file: 'archive_trades', rest: 'api_trades' },
    fileRows: (csv, bounds, onRepeat) => readAggTradesCsv(csv, bounds, onRepeat),
    *fileRecords(csv, bounds) {
      for (const row of readAggTradesCsv(csv, bounds)) yield aggTradeFromRow(row, symbol);
    },
    async *restPages(client, piece) {
      for await (const rows of restAggTradePages(client, symbol, piece)) yield rows.map((r) => aggTradeFromRow(r, symbol));
    },
    time,
    isFinal: () => true,
    async firstDataTime(client, toMs) {
      const [first] = await client.aggTrades(symbol, { fromId: 0, limit: 1 });
      return first !== undefined && first.T < toMs ? first.T : undefined;
    },
  };
}

/** The archive series of a parsed `archive_*` type, or undefined for a type the archive does not hold. */
export function archiveSeriesFor(type: ParsedStreamType, symbol: string): ArchiveSeries | undefined {
  if (type.source !== 'archive') return undefined;
  if (type.record === 'candle') return candles(symbol, type.interval);
  return type.record === 'agg_trade' ? aggTrades(symbol) : undefined;
}
