import { ACCEPTED_INDICATORS, IndicatorsBody, IndicatorSpecsText } from '../../protocol/index.ts';
import type { IndicatorsWarmup } from '../../protocol/index.ts';
import { indicatorText, readIndicators } from '../query/index.ts';
import { z } from 'zod';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { IntervalOption, oneOf, OneSymbol, RangeFields, rangeOf, Text } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { assertOneSource, withLocalStore } from './local-store.ts';
import { ServerApiClient } from './server-api-client.ts';

const USAGE = `Usage: streamforge indicators <SYMBOL> --interval <i> --from <date|ISO> --to <date|ISO> --ind <list> [--format csv|json] [--server URL] [--data-dir DIR]
  Prints technical indicators of the stored candles of [from, to) (UTC, half-open), one row per candle:
  CSV (default) open_time (epoch ms), then one column per indicator (ema_20, rsi_14, atr_14, vwap_24,
  log_return, vol_24, …), an empty cell while an indicator warms up; --format json the same as one
  document ({symbol, interval, from, to, from_ms, to_ms, columns, warmup, count, rows}, null while warming up).
  --ind: ${ACCEPTED_INDICATORS}.
  Warm-up: the indicators first read the stored candles before --from they need (EMA, RSI and ATR until
  their starting value weighs less than 1e-8, the others their period), so the first rows have values
  when the store holds that history; stderr says how many were read. A value at t uses candles up to t only.
  --server URL reads a running StreamForge's store (GET /indicators).`;

const IndicatorsArgs = z
  .object({
    positionals: OneSymbol,
    values: z.object({
      interval: IntervalOption,
      ...RangeFields,
      ind: z.string({ error: (issue) => (issue.input === undefined ? `missing --ind (${ACCEPTED_INDICATORS})` : undefined) }),
      format: oneOf('format', ['csv', 'json']),
      server: Text,
      'data-dir': Text,
    }),
  })
  .transform(({ positionals: symbol, values }, ctx) => {
    const specs = IndicatorSpecsText.safeParse(values.ind);
    if (!specs.success) ctx.addIssue({ code: 'custom', path: ['values', 'ind'], message: `invalid --ind: ${specs.error.issues[0]?.message ?? ACCEPTED_INDICATORS}` });
    return { symbol, interval: values.interval, range: rangeOf(values, ctx), ind: values.ind, specs: specs.data ?? [], format: values.format, server: values.server, dataDir: values['data-dir'] };
  });

/** `streamforge indicators`: indicators of stored candles, from the local store or a server. */
export const indicatorsCommand = defineCommand({
  name: 'indicators',
  usage: USAGE,
  options: {
    interval: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    ind: { type: 'string' },
    format: { type: 'string', default: 'csv' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  schema: IndicatorsArgs,
  async run({ symbol, interval, range, ind, specs, format, server, dataDir }, io) {
    assertOneSource({ server, 'data-dir': dataDir });
    if (server !== undefined) {
      const client = new ServerApiClient(server, io.env.STREAMFORGE_API_TOKEN);
      const q = new URLSearchParams({ symbol, interval, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), ind, format });
      const text = await client.getText(`/indicators?${q.toString()}`);
      if (format === 'json') reportWarmup(io, IndicatorsBody.parse(JSON.parse(text)).warmup);
      io.out.write(text);
      return 0;
    }
    return withLocalStore(dataDir, io, async (store) => {
      const stream = await readIndicators(store, { symbol, interval, fromMs: range.fromMs, toMs: range.toMs, specs });
      reportWarmup(io, stream.warmup);
      for await (const chunk of indicatorText(stream, format)) {
        if (!io.out.write(chunk)) await new Promise((resolve) => io.out.once('drain', resolve));
      }
      return 0;
    });
  },
});

function reportWarmup(io: CliIo, w: IndicatorsWarmup): void {
  const short = w.candles < w.needed ? ` (of ${w.needed} wanted: the store begins later, so the first rows may be empty)` : '';
  writeLine(io.err, `indicators: warmed up on ${w.candles} stored candle${w.candles === 1 ? '' : 's'} before --from, from ${w.from}${short}`);
}
