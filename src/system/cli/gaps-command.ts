import { BinanceRestClient, GapAudit, auditedSeries, holesOf } from '../../actors/index.ts';
import type { AuditProgress, GapReport, Hole, RepairResult } from '../../actors/index.ts';
import { loadConfig } from '../config/index.ts';
import { UndiciHttpClient } from '../exchange/index.ts';
import { createLogger, PromMetrics, systemClock } from '../observability/index.ts';
import { createStore } from '../store/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { parseCli, requireRange, requireSymbol, requireType } from './cli-args.ts';
import { UsageError } from './usage-error.ts';

const AUDITED_TYPES = '<api|ws|archive>_candles_<interval>, api_trades, archive_trades, ws_aggtrades, ws_trades';

export const GAPS_USAGE = `Usage: streamforge gaps <SYMBOL> --type <type> --from <date|ISO> --to <date|ISO> [--repair] [--json] [--quiet-minutes N] [--data-dir DIR] [--no-progress]
  Lists the holes in a stored series over [from, to) (UTC, half-open), every collection of the series
  included, and tells ours (records the exchange has and the store lacks) from the exchange's own
  (maintenance, before the listing: nothing to fetch), asking the exchange over REST.
  Candles are checked against the interval's grid (1w from Mondays, 1M by calendar month), trades by
  their consecutive ids; a stretch longer than --quiet-minutes (default 5) without any trade and
  without a missing id is listed as the exchange's. The range ends at the exchange's present.
  --repair fetches our holes over REST into the collection of the stored record beside each hole
  (a new <symbol>_<type>_<YYYY_MM_DD of --from> when nothing is stored), then audits again.
  --json prints one JSON object instead of the table. Progress goes to stderr.
  Types: ${AUDITED_TYPES}.
  Exit 0 when no hole of ours remains (after the repair, with --repair), 1 when some do or the
  audit failed, 2 usage error.`;

/** `streamforge gaps`: audits a stored series against the exchange, and repairs our holes on request. */
export async function gapsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    repair: { type: 'boolean' },
    json: { type: 'boolean' },
    'quiet-minutes': { type: 'string' },
    'data-dir': { type: 'string' },
    'no-progress': { type: 'boolean' },
  });
  const symbol = requireSymbol(positionals[0]);
  const type = requireType(values.type);
  if (!auditedSeries(type)) throw new UsageError(`--type ${type} cannot be audited (an order book has no gaps to fetch again); accepted: ${AUDITED_TYPES}`);
  const range = requireRange(values.from, values.to);
  const quietMs = quietMinutes(values['quiet-minutes']) * 60_000;

  const config = loadConfig({ STREAMFORGE_DATA_DIR: values['data-dir'] }, io.env, { LOG_LEVEL: 'warn' });
  const store = createStore(config);
  const http = new UndiciHttpClient({ timeoutMs: config.EXCHANGE_TIMEOUT_MS });
  const logger = createLogger(config.LOG_LEVEL);
  const client = new BinanceRestClient({
    baseUrl: config.BINANCE_API_URL.replace(/\/+$/, ''),
    http,
    clock: systemClock,
    metrics: new PromMetrics({ defaults: false }),
    log: logger,
    maxAttempts: config.EXCHANGE_MAX_ATTEMPTS,
    weightTarget: config.EXCHANGE_WEIGHT_TARGET,
  });
  const progress = progressPrinter(io, values['no-progress'] !== true);
  try {
    await client.init(symbol);
    const audit = new GapAudit({ store, client, quietMs, onProgress: progress.update });
    const query = { symbol, type, fromMs: range.fromMs, toMs: range.toMs };
    const first = await audit.audit(query);
    let report = first;
    let repaired: RepairResult | undefined;
    if (values.repair === true) {
      repaired = holesOf(first, 'ours').length > 0 ? await audit.repair(first) : { holes: 0, records: 0, collections: [] };
      if (repaired.holes > 0) report = await audit.audit(query);
    }
    progress.done();
    if (values.json === true) writeLine(io.out, JSON.stringify(reportJson(report, repaired === undefined ? undefined : { before: first, repaired })));
    else printReport(io, report, repaired === undefined ? undefined : { before: first, repaired });
    return holesOf(report, 'ours').length === 0 ? 0 : 1;
  } finally {
    progress.done();
    await store.close();
    await http.close();
    logger.flush();
  }
}

function quietMinutes(text: string | undefined): number {
  if (text === undefined) return 5;
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`invalid --quiet-minutes ${JSON.stringify(text)}; accepted: a number of minutes > 0`);
  return n;
}

const iso = (ms: number) => new Date(ms).toISOString();

function summary(report: GapReport): string {
  const ours = holesOf(report, 'ours');
  const missing = ours.reduce((n, h) => n + h.count, 0);
  return `${ours.length} hole${ours.length === 1 ? '' : 's'} of ours (${missing} missing), ${holesOf(report, 'exchange').length} of the exchange's`;
}

function printReport(io: CliIo, report: GapReport, repair: { before: GapReport; repaired: RepairResult } | undefined): void {
  if (repair) {
    writeLine(io.out, `before repair: ${summary(repair.before)}`);
    const into = repair.repaired.collections.length > 0 ? ` into ${repair.repaired.collections.join(', ')}` : '';
    writeLine(io.out, `repaired ${repair.repaired.records} records in ${repair.repaired.holes} hole${repair.repaired.holes === 1 ? '' : 's'}${into}`);
  }
  writeLine(io.out, `${report.symbol} ${report.type} [${iso(report.fromMs)}, ${iso(report.toMs)}): ${report.stored} stored; ${summary(report)}`);
  if (report.holes.length === 0) return;
  const rows = report.holes.map((h) => [iso(h.fromMs), iso(h.toMs), String(h.count), ids(h), h.owner]);
  const table = [['FROM', 'TO', 'COUNT', 'IDS', 'WHOSE'], ...rows];
  const widths = table[0]?.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length))) ?? [];
  for (const r of table) writeLine(io.out, r.map((cell, c) => (c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd());
}

function ids(h: Hole): string {
  return h.fromId === undefined || h.toId === undefined ? '-' : `${h.fromId}-${h.toId}`;
}

function holeJson(h: Hole): Record<string, string | number> {
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

function reportJson(report: GapReport, repair: { before: GapReport; repaired: RepairResult } | undefined): Record<string, unknown> {
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
    holes: report.holes.map(holeJson),
    ...(repair
      ? {
          repaired: { holes: repair.repaired.holes, records: repair.repaired.records, collections: repair.repaired.collections },
          before: { stored: repair.before.stored, holes: repair.before.holes.map(holeJson) },
        }
      : {}),
  };
}

/** Progress on stderr: redrawn in place on a TTY, a plain line at most every 2 s otherwise. */
function progressPrinter(io: CliIo, enabled: boolean): { update: (p: AuditProgress) => void; done: () => void } {
  const tty = io.err.isTTY === true;
  let lastAt = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (!enabled || now - lastAt < (tty ? 100 : 2_000)) return;
      lastAt = now;
      const text = p.phase === 'reading' ? `gaps: read ${p.done} stored records` : `gaps: ${p.phase} holes ${p.done}/${p.total ?? '?'}`;
      if (tty) {
        io.err.write(`\r${text}\u001b[K`);
        drawn = true;
      } else writeLine(io.err, text);
    },
    done() {
      if (drawn) io.err.write('\n');
      drawn = false;
    },
  };
}
