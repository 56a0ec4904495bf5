import { DEFAULT_EDGE_THRESHOLD, DEFAULT_GRAPH_WINDOW, GraphBody, GraphQuery, MAX_GRAPH_WINDOW } from '../../protocol/index.ts';
import { graphRequestOf, queryGraph } from '../query/index.ts';
import { z } from 'zod';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { IntervalOption, oneOf, RangeFields, rangeOf, Text } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { assertOneSource, withLocalStore } from './local-store.ts';
import { ServerApiClient } from './server-api-client.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `Usage: streamforge graph --symbols <A,B,…> --interval <i> --from <date|ISO> --to <date|ISO> [--at <date|ISO>] [--window N] [--threshold X | --top-k K] [--format table|json] [--server URL] [--data-dir DIR]
  Prints the correlation graph of 2 or more symbols from their stored candles: Pearson ρ of the log
  returns of the --window (default ${DEFAULT_GRAPH_WINDOW}, 3 to ${MAX_GRAPH_WINDOW}) candles ending at the last candle opening
  before --at (default --to; within (from, to]). Edges: every pair with |ρ| ≥ --threshold (default
  ${DEFAULT_EDGE_THRESHOLD}), or with --top-k K each symbol's K strongest (a pair chosen by either end; not both options).
  A symbol missing a candle where others have one carries its previous close (return 0).
  Default output is a table; --format json prints {symbols, interval, from, to, from_ms, to_ms, window, at, at_ms, rule, edges}.
  --server URL reads a running StreamForge's store (GET /graph).`;

/** Flags by the query field they fill. */
const FLAG: Readonly<Record<string, string>> = { symbols: '--symbols', interval: '--interval', from: '--from', to: '--to', at: '--at', window: '--window', threshold: '--threshold', top_k: '--top-k' };

const GraphArgs = z.object({
  positionals: z.array(z.string()).max(0, { error: (issue) => `unexpected ${JSON.stringify((issue.input as string[])[0])}: symbols go in --symbols A,B,…` }),
  values: z.object({
    symbols: z.string({ error: (issue) => (issue.input === undefined ? 'missing --symbols (2 or more, comma-separated, e.g. --symbols BTCUSDT,ETHUSDT)' : undefined) }),
    interval: IntervalOption,
    from: Text,
    to: Text,
    at: Text,
    window: Text,
    threshold: Text,
    'top-k': Text,
    format: oneOf('format', ['table', 'json']),
    server: Text,
    'data-dir': Text,
  }),
});

/** `--from` and `--to` checked as the other commands check them (missing, unreadable, out of order). */
const RangeCheck = z.object(RangeFields).transform((values, ctx) => rangeOf(values, ctx));

/** `streamforge graph`: the correlation graph of stored candles, from the local store or a server. */
export const graphCommand = defineCommand({
  name: 'graph',
  usage: USAGE,
  options: {
    symbols: { type: 'string' },
    interval: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    at: { type: 'string' },
    window: { type: 'string' },
    threshold: { type: 'string' },
    'top-k': { type: 'string' },
    format: { type: 'string', default: 'table' },
    server: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  schema: GraphArgs,
  async run({ values }, io) {
    const range = RangeCheck.safeParse({ from: values.from, to: values.to });
    if (!range.success) throw new UsageError(range.error.issues.map((i) => i.message).join('; '));
    assertOneSource(values);
    const fields = {
      symbols: values.symbols,
      interval: values.interval,
      from: values.from ?? '',
      to: values.to ?? '',
      ...(values.at !== undefined ? { at: values.at } : {}),
      ...(values.window !== undefined ? { window: values.window } : {}),
      ...(values.threshold !== undefined ? { threshold: values.threshold } : {}),
      ...(values['top-k'] !== undefined ? { top_k: values['top-k'] } : {}),
    };
    const parsed = GraphQuery.safeParse(fields);
    if (!parsed.success) {
      throw new UsageError(parsed.error.issues.map((i) => `${FLAG[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('; '));
    }
    let graph: GraphBody;
    if (values.server !== undefined) {
      const client = new ServerApiClient(values.server, io.env.STREAMFORGE_API_TOKEN);
      graph = GraphBody.parse(JSON.parse(await client.getText(`/graph?${new URLSearchParams(fields).toString()}`)));
    } else {
      graph = await withLocalStore(values['data-dir'], io, (store) => queryGraph(store, graphRequestOf(parsed.data)));
    }
    if (values.format === 'json') writeLine(io.out, JSON.stringify(graph));
    else printGraph(io, graph);
    return 0;
  },
});

function printGraph(io: CliIo, g: GraphBody): void {
  const rule = g.rule?.kind === 'top-k' ? `each symbol's ${g.rule.k} strongest` : `|ρ| ≥ ${g.rule?.threshold ?? DEFAULT_EDGE_THRESHOLD}`;
  writeLine(io.out, `${g.symbols.length} symbols, ${g.interval}, ${g.window} log returns ending with the candle opening ${g.at}; edges (${rule}): ${g.edges.length}`);
  if (g.edges.length === 0) return;
  const width = Math.max(6, ...g.symbols.map((s) => s.length)) + 2;
  writeLine(io.out, `${'source'.padEnd(width)}${'target'.padEnd(width)}ρ`);
  const strongest = [...g.edges].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  for (const e of strongest) writeLine(io.out, `${e.source.padEnd(width)}${e.target.padEnd(width)}${e.weight >= 0 ? ' ' : ''}${e.weight.toFixed(4)}`);
}
