import { GapReportBody, QuietMinutesText } from '../../protocol/index.ts';
import type { GapHole } from '../../protocol/index.ts';
import { auditedSeries } from '../../actors/index.ts';
import type { AuditProgress } from '../../actors/index.ts';
import { loadConfig } from '../config/index.ts';
import { UndiciHttpClient } from '../exchange/index.ts';
import { createLogger, PromMetrics } from '../observability/index.ts';
import { AUDITED_TYPES, runGapAudit } from '../query/index.ts';
import { createStore } from '../store/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { parseCli, requireRange, requireSymbol, requireType } from './cli-args.ts';
import { ManagerHttpClient } from './manager-http-client.ts';
import { UsageError } from './usage-error.ts';

export const GAPS_USAGE = `Usage: streamforge gaps <SYMBOL> --type <type> --from <date|ISO> --to <date|ISO> [--repair] [--json] [--quiet-minutes N] [--server URL] [--data-dir DIR] [--no-progress]
  Lists the holes in a stored series over [from, to) (UTC, half-open), every collection of the series
  included, and tells ours (records the exchange has and the store lacks) from the exchange's own
  (maintenance, before the listing: nothing to fetch), asking the exchange over REST.
  Candles are checked against the interval's grid (1w from Mondays, 1M by calendar month), trades by
  their consecutive ids; a stretch longer than --quiet-minutes (default 5) without any trade and
  without a missing id is listed as the exchange's. The range ends at the exchange's present.
  --repair fetches our holes over REST into the collection of the stored record beside each hole
  (a new <symbol>_<type>_<YYYY_MM_DD of --from> when nothing is stored), then audits again.
  --json prints one JSON object instead of the table. Progress goes to stderr.
  --server URL asks a running StreamForge (GET /gaps, POST /gaps/repair) to audit its own store.
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
    server: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-progress': { type: 'boolean' },
  });
  const symbol = requireSymbol(positionals[0]);
  const type = requireType(values.type);
  if (!auditedSeries(type)) throw new UsageError(`--type ${type} cannot be audited (an order book has no gaps to fetch again); accepted: ${AUDITED_TYPES}`);
  const range = requireRange(values.from, values.to);
  const quiet = quietMinutes(values['quiet-minutes']);
  const repair = values.repair === true;

  let report: GapReportBody;
  if (values.server) {
    if (values['data-dir'] !== undefined) throw new UsageError('--data-dir and --server exclude each other: with --server the audit reads the server\'s store');
    const client = new ManagerHttpClient(values.server, io.env.STREAMFORGE_API_TOKEN);
    const fields = { symbol, type, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), quiet_minutes: quiet };
    if (values['no-progress'] !== true) writeLine(io.err, `gaps: ${repair ? 'auditing and repairing' : 'auditing'} on ${values.server}`);
    report = GapReportBody.parse(
      repair ? await client.postLong('/gaps/repair', fields) : await client.getLong(`/gaps?${new URLSearchParams({ ...fields, quiet_minutes: String(quiet) }).toString()}`),
    );
  } else {
    const config = loadConfig({ STREAMFORGE_DATA_DIR: values['data-dir'] }, io.env, { LOG_LEVEL: 'warn' });
    const store = createStore(config);
    const http = new UndiciHttpClient({ timeoutMs: config.EXCHANGE_TIMEOUT_MS });
    const logger = createLogger(config.LOG_LEVEL);
    const progress = progressPrinter(io, values['no-progress'] !== true);
    try {
      report = await runGapAudit(
        { store, http, metrics: new PromMetrics({ defaults: false }), log: logger, config },
        { symbol, type, fromMs: range.fromMs, toMs: range.toMs, quietMs: quiet * 60_000, repair, onProgress: progress.update },
      );
    } finally {
      progress.done();
      await store.close();
      await http.close();
      logger.flush();
    }
  }
  if (values.json === true) writeLine(io.out, JSON.stringify(report));
  else printReport(io, report);
  return report.ours === 0 ? 0 : 1;
}

function quietMinutes(text: string | undefined): number {
  if (text === undefined) return 5;
  const parsed = QuietMinutesText.safeParse(text);
  if (!parsed.success) throw new UsageError(`invalid --quiet-minutes ${JSON.stringify(text)}; ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

function summary(holes: readonly GapHole[]): string {
  const ours = holes.filter((h) => h.owner === 'ours');
  const missing = ours.reduce((n, h) => n + h.count, 0);
  const theirs = holes.length - ours.length;
  return `${ours.length} hole${ours.length === 1 ? '' : 's'} of ours (${missing} missing), ${theirs} of the exchange's`;
}

function printReport(io: CliIo, report: GapReportBody): void {
  if (report.before && report.repaired) {
    writeLine(io.out, `before repair: ${summary(report.before.holes)}`);
    const into = report.repaired.collections.length > 0 ? ` into ${report.repaired.collections.join(', ')}` : '';
    writeLine(io.out, `repaired ${report.repaired.records} records in ${report.repaired.holes} hole${report.repaired.holes === 1 ? '' : 's'}${into}`);
  }
  writeLine(io.out, `${report.symbol} ${report.type} [${report.from}, ${report.to}): ${report.stored} stored; ${summary(report.holes)}`);
  if (report.holes.length === 0) return;
  const rows = report.holes.map((h) => [h.from, h.to, String(h.count), ids(h), h.owner]);
  const table = [['FROM', 'TO', 'COUNT', 'IDS', 'WHOSE'], ...rows];
  const widths = table[0]?.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length))) ?? [];
  for (const r of table) writeLine(io.out, r.map((cell, c) => (c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd());
}

function ids(h: GapHole): string {
  return h.from_id === undefined || h.to_id === undefined ? '-' : `${h.from_id}-${h.to_id}`;
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
