import { BinanceRestClient, GapAudit, auditedSeries, holesOf } from '../../actors/index.ts';
import type { AuditProgress, GapReport, Hole, HttpClient, Logger, Metrics, RepairResult, Store } from '../../actors/index.ts';
import { approximateIntervalCount, parseStreamType, ValidationError } from '../../protocol/index.ts';
import type { GapHole, GapReportBody } from '../../protocol/index.ts';
import type { Config } from '../config/index.ts';
import { systemClock } from '../observability/index.ts';

export const AUDITED_TYPES = '<api|ws|archive>_candles_<interval>, api_trades, archive_trades, ws_aggtrades, ws_trades';

/**
 * The most candle slots one audit walks: the grid is checked slot by slot in memory (about 5 M a
 * second), so a wider range would hold a server's event loop for long and its memory with it.
 * 5 M is 58 days of 1s candles, 9.5 years of 1m.
 */
export const MAX_AUDITED_CANDLES = 5_000_000;

export interface GapAuditRequest {
  readonly symbol: string;
  readonly type: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** A stretch without trades longer than this is the exchange's: `quiet_minutes`, bounded by its schema. */
  readonly quietMs: number;
  /** Fetch our holes again, then audit once more. */
  readonly repair: boolean;
  readonly onProgress?: (progress: AuditProgress) => void;
  /** Ends the audit (the exchange requests in flight included): its caller went away. */
  readonly signal?: AbortSignal;
}

export interface GapAuditDeps {
  readonly store: Store;
  readonly http: HttpClient;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly config: Pick<Config, 'BINANCE_API_URL' | 'EXCHANGE_MAX_ATTEMPTS' | 'EXCHANGE_WEIGHT_TARGET'>;
}

/** Refuses a type that has no holes to audit (an order book), naming the ones that do. */
export function assertAuditable(type: string): void {
  if (!auditedSeries(type)) {
    throw new ValidationError(`type ${type} cannot be audited (an order book has no gaps to fetch again); accepted: ${AUDITED_TYPES}`);
  }
}

/**
 * One gap audit (and repair, when asked) of a stored series against the exchange, as the CLI
 * (`streamforge gaps`) and the API (`GET /gaps`, `POST /gaps/repair`) both run it.
 */
export async function runGapAudit(deps: GapAuditDeps, req: GapAuditRequest): Promise<GapReportBody> {
  assertAuditable(req.type);
  if (req.fromMs >= req.toMs) throw new ValidationError('invalid range: from must be before to (the range is half-open: [from, to))');
  const type = parseStreamType(req.type);
  if (type?.record === 'candle') {
    const slots = approximateIntervalCount(type.interval, req.fromMs, Math.min(req.toMs, Date.now()));
    if (slots > MAX_AUDITED_CANDLES) {
      throw new ValidationError(
        `the range holds about ${slots.toLocaleString('en-US')} ${type.interval} candles; accepted: at most ${MAX_AUDITED_CANDLES.toLocaleString('en-US')} per audit (audit a wider range in parts)`,
      );
    }
  }
  const client = new BinanceRestClient({
    baseUrl: deps.config.BINANCE_API_URL.replace(/\/+$/, ''),
    http: deps.http,
    clock: systemClock,
    metrics: deps.metrics,
    log: deps.log,
    maxAttempts: deps.config.EXCHANGE_MAX_ATTEMPTS,
    weightTarget: deps.config.EXCHANGE_WEIGHT_TARGET,
    ...(req.signal ? { signal: req.signal } : {}),
  });
  await client.init(req.symbol);
  const audit = new GapAudit({ store: deps.store, client, quietMs: req.quietMs, ...(req.onProgress ? { onProgress: req.onProgress } : {}) });
  const query = { symbol: req.symbol, type: req.type, fromMs: req.fromMs, toMs: req.toMs };
  const first = await audit.audit(query);
  if (!req.repair) return gapReportBody(first);
  const repaired: RepairResult = holesOf(first, 'ours').length > 0 ? await audit.repair(first) : { holes: 0, records: 0, collections: [] };
  const after = repaired.holes > 0 ? await audit.audit(query) : first;
  return gapReportBody(after, { before: first, repaired });
}

const iso = (ms: number) => new Date(ms).toISOString();

function holeBody(h: Hole): GapHole {
  return {
    owner: h.owner,
    from: iso(h.fromMs),
    to: iso(h.toMs),
    from_ms: h.fromMs,
    to_ms: h.toMs,
    count: h.count,
    ...(h.fromId === undefined ? {} : { from_id: h.fromId }),
    ...(h.toId === undefined ? {} : { to_id: h.toId }),
    ...(h.collection === undefined ? {} : { collection: h.collection }),
  };
}

export function gapReportBody(report: GapReport, repair?: { before: GapReport; repaired: RepairResult }): GapReportBody {
  return {
    symbol: report.symbol,
    type: report.type,
    from: iso(report.fromMs),
    to: iso(report.toMs),
    from_ms: report.fromMs,
    to_ms: report.toMs,
    stored: report.stored,
    ours: holesOf(report, 'ours').length,
    exchange: holesOf(report, 'exchange').length,
    holes: report.holes.map(holeBody),
    ...(repair
      ? {
          repaired: { holes: repair.repaired.holes, records: repair.repaired.records, collections: [...repair.repaired.collections] },
          before: { stored: repair.before.stored, holes: repair.before.holes.map(holeBody) },
        }
      : {}),
  };
}
