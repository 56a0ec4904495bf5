import { z } from 'zod';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import { oneOf, OneSymbol, RangeFields, rangeOf, Text, TypeOption, wholeNumber } from './cli-args.ts';
import { defineCommand } from './command.ts';

export const RECORDS_USAGE = `Usage: streamforge records <SYMBOL> --type <type> --from <date|ISO> --to <date|ISO> [--format csv|json] [--limit N] [--server URL] [--data-dir DIR]
  Prints stored records of a series in [from, to) (UTC): candles, aggregate trades, trades or depth.
  Types of one series read the same records: api_trades, archive_trades and ws_aggtrades are one series;
  so are api_candles_1m, ws_candles_1m and archive_candles_1m.`;

const RecordsArgs = z
  .object({
    positionals: OneSymbol,
    values: z.object({
      type: TypeOption,
      ...RangeFields,
      format: oneOf('format', ['csv', 'json']),
      limit: wholeNumber('limit', 1),
      server: Text,
      'data-dir': Text,
    }),
  })
  .transform(({ positionals: symbol, values }, ctx) => ({
    symbol,
    type: values.type,
    range: rangeOf(values, ctx),
    format: values.format,
    limit: values.limit,
    server: values.server,
    dataDir: values['data-dir'],
  }));

/** `streamforge records`, for every stored series, from the local store or a server's API. */
export const recordsCommand = defineCommand({
  name: 'records',
  usage: RECORDS_USAGE,
  options: {
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string', default: 'csv' },
    limit: { type: 'string' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  schema: RecordsArgs,
  async run({ symbol, type, range, format, limit, server, dataDir }, io) {
    const config = loadConfig({ STREAMFORGE_DATA_DIR: dataDir }, io.env, ONE_SHOT_DEFAULTS);
    if (server !== undefined) {
      const { ServerApiClient } = await import('./server-api-client.ts');
      const client = new ServerApiClient(server, config.STREAMFORGE_API_TOKEN);
      const from = new Date(range.fromMs).toISOString();
      const q = new URLSearchParams({ symbol, type, from, to: new Date(range.toMs).toISOString(), format, ...(limit !== undefined ? { limit: String(limit) } : {}) });
      // JSON comes in pages of at most 10,000: followed to the end, printed as one answer.
      if (format === 'json') io.out.write(`${JSON.stringify(await client.getAllPages(`/records?${q.toString()}`, 'records', limit))}\n`);
      else io.out.write(await client.getText(`/records?${q.toString()}`));
      return 0;
    }
    const { createRuntime } = await import('../runtime.ts');
    const { querySeries, seriesCsv, seriesJson } = await import('../query/index.ts');
    const runtime = createRuntime(config, {}, { manager: false });
    try {
      const { spec, records } = await querySeries(runtime.store, { symbol, type, fromMs: range.fromMs, toMs: range.toMs, ...(limit !== undefined ? { limit } : {}) });
      if (format === 'csv') io.out.write(seriesCsv(spec, records));
      else io.out.write(`${JSON.stringify({ symbol, type, count: records.length, records: records.map((r) => seriesJson(spec, r)) })}\n`);
      return 0;
    } finally {
      await runtime.close();
    }
  },
});
