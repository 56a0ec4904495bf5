import { ACCEPTED_INDICATORS, IndicatorsBody, IndicatorSpecsText } from '../../protocol/index.ts';
import type { IndicatorsWarmup } from '../../protocol/index.ts';
import { indicatorText, readIndicators } from '../query/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { parseCli, requireInterval, requireRange, requireSymbol } from './cli-args.ts';
import { assertOneSource, withLocalStore } from './local-store.ts';
import { ManagerHttpClient } from './manager-http-client.ts';
import { UsageError } from './usage-error.ts';

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

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, {
    interval: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    ind: { type: 'string' },
    format: { type: 'string', default: 'csv' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  });
  const symbol = requireSymbol(positionals[0]);
  const interval = requireInterval(values.interval);
  const range = requireRange(values.from, values.to);
  if (values.ind === undefined) throw new UsageError(`missing --ind (${ACCEPTED_INDICATORS})`);
  const specs = IndicatorSpecsText.safeParse(values.ind);
  if (!specs.success) throw new UsageError(`invalid --ind: ${specs.error.issues[0]?.message ?? ACCEPTED_INDICATORS}`);
  const format = values.format;
  if (format !== 'csv' && format !== 'json') throw new UsageError(`invalid --format ${JSON.stringify(format)}; accepted: csv json`);
  assertOneSource(values);

  if (values.server !== undefined) {
    const client = new ManagerHttpClient(values.server, io.env.STREAMFORGE_API_TOKEN);
    const q = new URLSearchParams({ symbol, interval, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), ind: values.ind, format });
    const text = await client.getText(`/indicators?${q.toString()}`);
    if (format === 'json') reportWarmup(io, IndicatorsBody.parse(JSON.parse(text)).warmup);
    io.out.write(text);
    return 0;
  }
  return withLocalStore(values['data-dir'], io, async (store) => {
    const stream = await readIndicators(store, { symbol, interval, fromMs: range.fromMs, toMs: range.toMs, specs: specs.data });
    reportWarmup(io, stream.warmup);
    for await (const chunk of indicatorText(stream, format)) {
      if (!io.out.write(chunk)) await new Promise((resolve) => io.out.once('drain', resolve));
    }
    return 0;
  });
}

function reportWarmup(io: CliIo, w: IndicatorsWarmup): void {
  const short = w.candles < w.needed ? ` (of ${w.needed} wanted: the store begins later, so the first rows may be empty)` : '';
  writeLine(io.err, `indicators: warmed up on ${w.candles} stored candle${w.candles === 1 ? '' : 's'} before --from, from ${w.from}${short}`);
}

/** `streamforge indicators`: indicators of stored candles, from the local store or a server. */
export const indicatorsCommand = { usage: USAGE, run } as const;
