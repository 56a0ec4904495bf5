import { loadConfig } from '../config/index.ts';
import { createStore } from '../store/index.ts';
import { querySeries, seriesCsv, seriesJson } from '../query/index.ts';
import type { CliIo } from './cli-io.ts';
import { parseCli, requireRange, requireSymbol, requireType } from './cli-args.ts';
import { ManagerHttpClient } from './manager-http-client.ts';
import { UsageError } from './usage-error.ts';

export const RECORDS_USAGE = `Usage: streamforge records <SYMBOL> --type <type> --from <date|ISO> --to <date|ISO> [--format csv|json] [--limit N] [--server URL] [--data-dir DIR]
  Prints stored records of a series in [from, to) (UTC): candles, aggregate trades, trades or depth.
  Types of one series read the same records: api_trades, archive_trades and ws_aggtrades are one series;
  so are api_candles_1m, ws_candles_1m and archive_candles_1m.`;

/** `streamforge records`, for every stored series, from the local store or a manager's API. */
export async function recordsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string', default: 'csv' },
    limit: { type: 'string' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  });
  const symbol = requireSymbol(positionals[0]);
  const type = requireType(values.type);
  const range = requireRange(values.from, values.to);
  const format = values.format;
  if (format !== 'csv' && format !== 'json') throw new UsageError(`invalid --format ${JSON.stringify(format)}; accepted: csv json`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`invalid --limit ${JSON.stringify(values.limit)}; accepted: a positive integer`);

  if (values.server) {
    const client = new ManagerHttpClient(values.server, io.env.STREAMFORGE_API_TOKEN);
    const q = new URLSearchParams({ symbol, type, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), format, ...(limit ? { limit: String(limit) } : {}) });
    // JSON comes in pages of at most 10,000: followed to the end, printed as one answer as before.
    if (format === 'json') io.out.write(`${JSON.stringify(await client.getAllPages(`/records?${q.toString()}`, 'records', limit))}\n`);
    else io.out.write(await client.getText(`/records?${q.toString()}`));
    return 0;
  }

  const config = loadConfig({ STREAMFORGE_DATA_DIR: values['data-dir'] }, io.env);
  const store = createStore(config);
  try {
    const { spec, records } = await querySeries(store, { symbol, type, fromMs: range.fromMs, toMs: range.toMs, ...(limit ? { limit } : {}) });
    if (format === 'csv') io.out.write(seriesCsv(spec, records));
    else io.out.write(`${JSON.stringify({ symbol, type, count: records.length, records: records.map((r) => seriesJson(spec, r)) })}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
