import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import { queryAggTrades } from './agg-trade-query.ts';
import { archiveBomb } from './archive-bomb.ts';
import type { ArchiveBombSpec } from './archive-bomb.ts';
import { ArchiveCache } from './archive-cache.ts';
import type { ArchiveFile } from './archive-cache.ts';
import { aggTradesCsv, klinesCsv, MICROSECOND_ERA_MS } from './archive-csv.ts';
import { hashString } from './hash.ts';
import type { SymbolHoles } from './holes.ts';
import { closeTimeOf, isKlineInterval } from './intervals.ts';
import type { KlineInterval } from './intervals.ts';
import { klineSeries } from './kline-generator.ts';
import { klineOpenTimes } from './kline-query.ts';

/** What the archive file server sees of the simulator. */
export interface ArchiveContext {
  readonly seed: number;
  readonly nowMs: number;
  readonly listedAtMs: ReadonlyMap<string, number>;
  readonly holes: ReadonlyMap<string, SymbolHoles>;
  /** File names (e.g. `BTCUSDT-1m-2024-07.zip`) answered with 404, their `.CHECKSUM` too. */
  readonly missing: ReadonlySet<string>;
  /** File names served with bytes that do not match their `.CHECKSUM`. */
  readonly corrupt: ReadonlySet<string>;
  /** File names served as zip bombs built of their real data, with a `.CHECKSUM` that matches the bomb. */
  readonly bombs?: ReadonlyMap<string, ArchiveBombSpec>;
}

export interface ArchiveReply {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string;
}

/** One requested archive file, parsed from its path. */
interface FileRequest {
  readonly key: string;
  readonly zipName: string;
  readonly checksum: boolean;
  readonly symbol: string;
  readonly kind: 'klines' | 'aggTrades';
  readonly interval: KlineInterval | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly granularity: 'monthly' | 'daily';
}

const DAY_MS = 86_400_000;
const KLINES_PATH = /^data\/spot\/(monthly|daily)\/klines\/([A-Z0-9\-_.]{1,20})\/([0-9a-zA-Z]{2,3})\/([^/]+)$/;
const AGG_TRADES_PATH = /^data\/spot\/(monthly|daily)\/aggTrades\/([A-Z0-9\-_.]{1,20})\/([^/]+)$/;
const PERIOD = { monthly: /^(\d{4})-(\d{2})$/, daily: /^(\d{4})-(\d{2})-(\d{2})$/ } as const;
const cache = new ArchiveCache();
/** As on data.binance.vision: daily klines files only up to 1d; 3d, 1w and 1mo come in monthly files alone. */
const NO_DAILY_FILES: ReadonlySet<KlineInterval> = new Set(['3d', '1w', '1M']);

/** The archive names the calendar-month interval `1mo`; the REST API calls it `1M`. */
function intervalFromArchive(name: string): KlineInterval | undefined {
  if (name === '1mo') return '1M';
  return name !== '1M' && isKlineInterval(name) ? name : undefined;
}

function archiveIntervalName(interval: KlineInterval): string {
  return interval === '1M' ? '1mo' : interval;
}

/** [start, end) of a `YYYY-MM` or `YYYY-MM-DD` period, or undefined if it is no real month/day. */
function periodOf(granularity: 'monthly' | 'daily', text: string): { startMs: number; endMs: number } | undefined {
  const m = PERIOD[granularity].exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3] ?? 1)];
  const startMs = Date.UTC(year, month, day);
  const date = new Date(startMs);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day) return undefined;
  const endMs = granularity === 'monthly' ? Date.UTC(year, month + 1, 1) : startMs + DAY_MS;
  return { startMs, endMs };
}

function parseRequest(path: string): FileRequest | undefined {
  const key = path.split('?')[0]?.replace(/^\/+/, '') ?? '';
  const klines = KLINES_PATH.exec(key);
  const aggTrades = klines ? undefined : AGG_TRADES_PATH.exec(key);
  const match = klines ?? aggTrades;
  if (!match) return undefined;
  const granularity = match[1] === 'monthly' ? 'monthly' : 'daily';
  const symbol = match[2] ?? '';
  const interval = klines ? intervalFromArchive(klines[3] ?? '') : undefined;
  if (klines && interval === undefined) return undefined;
  const fileName = (klines ? klines[4] : aggTrades?.[3]) ?? '';
  const checksum = fileName.endsWith('.zip.CHECKSUM');
  const zipName = checksum ? fileName.slice(0, -'.CHECKSUM'.length) : fileName;
  const prefix = `${symbol}-${interval === undefined ? 'aggTrades' : archiveIntervalName(interval)}-`;
  if (!zipName.startsWith(prefix) || !zipName.endsWith('.zip')) return undefined;
  const period = periodOf(granularity, zipName.slice(prefix.length, -'.zip'.length));
  if (!period) return undefined;
  return { key, zipName, checksum, symbol, kind: klines ? 'klines' : 'aggTrades', interval, granularity, ...period };
}

/**
 * Published files: periods that ended before now's month (monthly) or day (daily), after the
 * listing; no daily klines files for intervals over a day.
 */
function isPublished(req: FileRequest, ctx: ArchiveContext): boolean {
  if (req.granularity === 'daily' && req.interval !== undefined && NO_DAILY_FILES.has(req.interval)) return false;
  const listedAt = ctx.listedAtMs.get(req.symbol);
  if (listedAt === undefined || req.endMs <= listedAt) return false;
  const now = new Date(ctx.nowMs);
  const cutoff =
    req.granularity === 'monthly' ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) : Math.floor(ctx.nowMs / DAY_MS) * DAY_MS;
  return req.endMs <= cutoff;
}

function csvOf(req: FileRequest, ctx: ArchiveContext): Buffer {
  const base = {
    seed: ctx.seed,
    symbol: req.symbol,
    listedAtMs: ctx.listedAtMs.get(req.symbol) ?? 0,
    holes: ctx.holes.get(req.symbol) ?? [],
    nowMs: ctx.nowMs,
    startTime: req.startMs,
    endTime: req.endMs - 1,
    limit: Number.POSITIVE_INFINITY,
  };
  const micros = req.startMs >= MICROSECOND_ERA_MS;
  if (req.interval === undefined) return aggTradesCsv(queryAggTrades(base), micros);
  const openTimes = klineOpenTimes({ ...base, interval: req.interval });
  return klinesCsv(klineSeries(ctx.seed, req.symbol, req.interval), openTimes, ctx.nowMs, micros);
}

/** The file, from the cache or generated (deterministic bytes: the zip's mtime is fixed). */
function fileFor(req: FileRequest, ctx: ArchiveContext): ArchiveFile {
  const holes = ctx.holes.get(req.symbol) ?? [];
  const bomb = ctx.bombs?.get(req.zipName);
  const cacheKey = `${ctx.seed}|${ctx.listedAtMs.get(req.symbol)}|${JSON.stringify(holes)}|${req.key}${bomb ? `|bomb ${JSON.stringify(bomb)}` : ''}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const csvName = `${req.zipName.slice(0, -'.zip'.length)}.csv`;
  const zip = bomb ? archiveBomb(csvName, csvOf(req, ctx), bomb) : Buffer.from(zipSync({ [csvName]: [csvOf(req, ctx), { level: 1, mtime: req.endMs }] }));
  const file = { zip, sha256: createHash('sha256').update(zip).digest('hex') };
  // A long kline (1w, 1mo) opening late in the period may still be open: such a file changes with now.
  const lastClose = req.interval === undefined ? 0 : closeTimeOf(req.interval, req.endMs - 1);
  if (lastClose < ctx.nowMs) cache.set(cacheKey, file);
  return file;
}

/** S3's answer for a key that does not exist. */
function notFound(key: string): ArchiveReply {
  const requestId = hashString(key).toString(16).toUpperCase().padStart(8, '0');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${key.replace(/[<>&]/g, '')}</Key>` +
    `<RequestId>${requestId}</RequestId><HostId>simulator</HostId></Error>`;
  return { status: 404, body: Buffer.from(body, 'utf8'), contentType: 'application/xml' };
}

/** The zip with one byte flipped in its middle: still a plausible zip, but not the one the `.CHECKSUM` names. */
function corrupted(zip: Buffer): Buffer {
  const bad = Buffer.from(zip);
  const at = Math.floor(bad.length / 2);
  bad[at] = (bad[at] ?? 0) ^ 0xff;
  return bad;
}

/**
 * Serves `/data/spot/{monthly,daily}/{klines,aggTrades}/...` zips and their `.CHECKSUM` files, laid
 * out as data.binance.vision lays them out. Each zip holds one header-less CSV with the same data as
 * REST (klines: the 12 REST columns; aggTrades: a, p, q, f, l, T, m, M), times in microseconds for
 * periods from 2025-01-01 on. `ctx.missing` names answer 404, `ctx.corrupt` zips do not match their checksum,
 * `ctx.bombs` zips are zip bombs whose checksum matches.
 */
export function serveArchive(path: string, ctx: ArchiveContext): ArchiveReply {
  const req = parseRequest(path);
  if (!req) return notFound(path.split('?')[0]?.replace(/^\/+/, '') ?? '');
  if (!isPublished(req, ctx) || ctx.missing.has(req.zipName)) return notFound(req.key);
  const file = fileFor(req, ctx);
  if (req.checksum) {
    return { status: 200, body: Buffer.from(`${file.sha256}  ${req.zipName}\n`, 'utf8'), contentType: 'text/plain; charset=utf-8' };
  }
  const body = ctx.corrupt.has(req.zipName) ? corrupted(file.zip) : file.zip;
  return { status: 200, body, contentType: 'application/zip' };
}
