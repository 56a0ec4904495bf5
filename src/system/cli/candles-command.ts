import { loadConfig } from '../config/index.ts';
import { createStore } from '../store/index.ts';
import { candleCsvRow, candleJson, CANDLE_CSV_HEADER, queryCandles } from '../query/index.ts';
import type { CliIo } from './cli-io.ts';
import { parseCli, requireInterval, requireRange, requireSymbol } from './cli-args.ts';
import { ManagerHttpClient } from './manager-http-client.ts';
import { UsageError } from './usage-error.ts';

export const CANDLES_USAGE = `Usage: streamforge candles <SYMBOL> --interval <i> --from <date|ISO> --to <date|ISO> [--format csv|json] [--server URL] [--data-dir DIR]
  Prints stored candles in [from, to) (UTC); times in epoch ms, decimals exactly as the exchange sent them.`;

/** `streamforge candles`: reads stored candles from the local store (or a manager's API). */
export async function candlesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    interval: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string', default: 'csv' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  });
  const symbol = requireSymbol(positionals[0]);
  const interval = requireInterval(values.interval);
  const range = requireRange(values.from, values.to);
  const format = values.format;
  if (format !== 'csv' && format !== 'json') throw new UsageError(`invalid --format ${JSON.stringify(format)}; accepted: csv json`);

  if (values.server) {
    const client = new ManagerHttpClient(values.server, io.env.STREAMFORGE_API_TOKEN);
    const q = new URLSearchParams({ symbol, interval, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), format });
    if (format === 'json') io.out.write(`${JSON.stringify(await client.getAllPages(`/candles?${q.toString()}`, 'candles'))}\n`);
    else io.out.write(await client.getText(`/candles?${q.toString()}`));
    return 0;
  }

  const config = loadConfig({ STREAMFORGE_DATA_DIR: values['data-dir'] }, io.env);
  const store = createStore(config);
  try {
    const candles = await queryCandles(store, { symbol, interval, fromMs: range.fromMs, toMs: range.toMs });
    if (format === 'csv') {
      const lines = [CANDLE_CSV_HEADER, ...candles.map(candleCsvRow)];
      io.out.write(`${lines.join('\n')}\n`);
    } else {
      io.out.write(`${JSON.stringify({ symbol, interval, count: candles.length, candles: candles.map(candleJson) })}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
