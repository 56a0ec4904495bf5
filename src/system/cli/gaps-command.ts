import { z } from 'zod';
import { GapReportBody, QuietMinutesText } from '../../protocol/index.ts';
import type { GapHole } from '../../protocol/index.ts';
import { auditedSeries } from '../../actors/index.ts';
import type { AuditProgress } from '../../actors/index.ts';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import { AUDITED_TYPES } from '../query/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { Flag, OneSymbol, RangeFields, rangeOf, Text, TypeOption } from './cli-args.ts';
import { defineCommand } from './command.ts';
import type { ProgressItem } from './progress-display.ts';

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

const QuietMinutesOption = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return 5;
    const parsed = QuietMinutesText.safeParse(text);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: `invalid --quiet-minutes ${JSON.stringify(text)}; ${parsed.error.issues[0]?.message ?? ''}` });
    return z.NEVER;
  });

const GapsArgs = z
  .object({
    positionals: OneSymbol,
    values: z
      .object({
        type: TypeOption.refine(auditedSeries, {
          error: (issue) => `--type ${String(issue.input)} cannot be audited (an order book has no gaps to fetch again); accepted: ${AUDITED_TYPES}`,
        }),
        ...RangeFields,
        repair: Flag,
        json: Flag,
        'quiet-minutes': QuietMinutesOption,
        server: Text,
        'data-dir': Text,
        'no-progress': Flag,
      })
      .refine((v) => v.server === undefined || v['data-dir'] === undefined, {
        error: "--data-dir and --server exclude each other: with --server the audit reads the server's store",
      }),
  })
  .transform(({ positionals: symbol, values }, ctx) => ({
    symbol,
    type: values.type,
    range: rangeOf(values, ctx),
    quietMinutes: values['quiet-minutes'],
    repair: values.repair,
    json: values.json,
    server: values.server,
    dataDir: values['data-dir'],
    progress: !values['no-progress'],
  }));
type GapsArgs = z.output<typeof GapsArgs>;

/** `streamforge gaps`: audits a stored series against the exchange, and repairs our holes on request. */
export const gapsCommand = defineCommand({
  name: 'gaps',
  usage: GAPS_USAGE,
  options: {
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    repair: { type: 'boolean' },
    json: { type: 'boolean' },
    'quiet-minutes': { type: 'string' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-progress': { type: 'boolean' },
  },
  schema: GapsArgs,
  async run(args, io) {
    const report = args.server !== undefined ? await remoteAudit(args, args.server, io) : await localAudit(args, io);
    if (args.json) writeLine(io.out, JSON.stringify(report));
    else printReport(io, report);
    return report.ours === 0 ? 0 : 1;
  },
});

async function remoteAudit(args: GapsArgs, server: string, io: CliIo): Promise<GapReportBody> {
  const config = loadConfig({}, io.env, ONE_SHOT_DEFAULTS);
  const { ServerApiClient } = await import('./server-api-client.ts');
  const client = new ServerApiClient(server, config.STREAMFORGE_API_TOKEN);
  const fields = { symbol: args.symbol, type: args.type, from: new Date(args.range.fromMs).toISOString(), to: new Date(args.range.toMs).toISOString() };
  if (args.progress) writeLine(io.err, `gaps: ${args.repair ? 'auditing and repairing' : 'auditing'} on ${server}`);
  return GapReportBody.parse(
    args.repair
      ? await client.postLong('/gaps/repair', { ...fields, quiet_minutes: args.quietMinutes })
      : await client.getLong(`/gaps?${new URLSearchParams({ ...fields, quiet_minutes: String(args.quietMinutes) }).toString()}`),
  );
}

async function localAudit(args: GapsArgs, io: CliIo): Promise<GapReportBody> {
  const config = loadConfig({ STREAMFORGE_DATA_DIR: args.dataDir }, io.env, ONE_SHOT_DEFAULTS);
  const { createRuntime } = await import('../runtime.ts');
  const { runGapAudit } = await import('../query/index.ts');
  const runtime = createRuntime(config, {}, { manager: false });
  const { ProgressDisplay } = await import('./progress-display.ts');
  const progress = new ProgressDisplay(io, { enabled: args.progress, now: () => runtime.clock.now() });
  try {
    return await runGapAudit(
      { store: runtime.store, http: runtime.http, metrics: runtime.metrics, log: runtime.logger, config },
      { symbol: args.symbol, type: args.type, fromMs: args.range.fromMs, toMs: args.range.toMs, quietMs: args.quietMinutes * 60_000, repair: args.repair, onProgress: (p) => progress.update([auditProgress(args, p)]) },
    );
  } finally {
    progress.finish();
    await runtime.close();
  }
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

/** The audit as a line of the progress display: stored records read, then holes checked (and repaired). */
function auditProgress(args: GapsArgs, p: AuditProgress): ProgressItem {
  const unit = p.phase === 'reading' ? 'stored records read' : `holes ${p.phase === 'repairing' ? 'repaired' : 'checked'}`;
  return { id: p.phase, label: `${args.symbol} ${args.type}`, status: p.phase, count: { done: p.done, expected: p.total, unit } };
}
