import { z } from 'zod';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import { IntervalOption, oneOf, OneSymbol, RangeFields, rangeOf, Text } from './cli-args.ts';
import { defineCommand } from './command.ts';

export const CANDLES_USAGE = `Usage: streamforge candles <SYMBOL> --interval <i> --from <date|ISO> --to <date|ISO> [--format csv|json] [--server URL] [--data-dir DIR]
  Prints stored candles in [from, to) (UTC); times in epoch ms, decimals exactly as the exchange sent them.`;

const CandlesArgs = z
  .object({
    positionals: OneSymbol,
    values: z.object({ interval: IntervalOption, ...RangeFields, format: oneOf('format', ['csv', 'json']), server: Text, 'data-dir': Text }),
  })
  .transform(({ positionals: symbol, values }, ctx) => ({
    symbol,
    interval: values.interval,
    range: rangeOf(values, ctx),
    format: values.format,
    server: values.server,
    dataDir: values['data-dir'],
  }));

/** `streamforge candles`: reads stored candles from the local store (or a server's API). */
export const candlesCommand = defineCommand({
  name: 'candles',
  usage: CANDLES_USAGE,
  options: {
    interval: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string', default: 'csv' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  schema: CandlesArgs,
  async run({ symbol, interval, range, format, server, dataDir }, io) {
    const config = loadConfig({ STREAMFORGE_DATA_DIR: dataDir }, io.env, ONE_SHOT_DEFAULTS);
    if (server !== undefined) {
      const { ServerApiClient } = await import('./server-api-client.ts');
      const client = new ServerApiClient(server, config.STREAMFORGE_API_TOKEN);
      const q = new URLSearchParams({ symbol, interval, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), format });
      if (format === 'json') io.out.write(`${JSON.stringify(await client.getAllPages(`/candles?${q.toString()}`, 'candles'))}\n`);
      else io.out.write(await client.getText(`/candles?${q.toString()}`));
      return 0;
    }
    const { createRuntime } = await import('../runtime.ts');
    const { candleCsvRow, candleJson, CANDLE_CSV_HEADER, queryCandles } = await import('../query/index.ts');
    const runtime = createRuntime(config, {}, { manager: false });
    try {
      const candles = await queryCandles(runtime.store, { symbol, interval, fromMs: range.fromMs, toMs: range.toMs });
      if (format === 'csv') io.out.write(`${[CANDLE_CSV_HEADER, ...candles.map(candleCsvRow)].join('\n')}\n`);
      else io.out.write(`${JSON.stringify({ symbol, interval, count: candles.length, candles: candles.map(candleJson) })}\n`);
      return 0;
    } finally {
      await runtime.close();
    }
  },
});
