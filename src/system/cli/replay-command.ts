import { z } from 'zod';
import { MarketSymbol, MAX_REPLAY_SYMBOLS, REPLAY_SPEEDS_ACCEPTED, ReplaySpeed, ReplayTopic } from '../../protocol/index.ts';
import type { ReplayHole } from '../../protocol/index.ts';
import { loadConfig, ONE_SHOT_DEFAULTS } from '../config/index.ts';
import type { ReplayState } from '../replay/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { Flag, oneOf, RangeFields, rangeOf, Text, TypeOption } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { hostUntilSignal } from './host-until-signal.ts';

export const REPLAY_USAGE = `Usage: streamforge replay --symbols <SYMBOL>[,<SYMBOL>...] --type <type> --from <date|ISO> --to <date|ISO> (--topic NAME | --ws-port N) [--speed max|1|10] [--message-format record|batch] [--fail-on-holes] [--data-dir DIR] [--no-progress]
  Replays stored records of several symbols over [from, to) (UTC), merged in event-time order (ties
  by symbol, then the exchange's id), so two replays send the same sequence byte for byte.
  --topic NAME    into a bus topic (Kafka when KAFKA_BOOTSTRAP_SERVERS is set, else the embedded bus),
                  keyed by symbol; a topic the replay creates has one partition (one order for all symbols).
                  --message-format record (default): one JSON record per message, as data topics carry
                  them; batch: a JSON array of consecutive records of one symbol per message, with
                  headers sf-format: batch and sf-count.
  --ws-port N     on ws://127.0.0.1:N in Binance's formats (/stream?streams=btcusdt@aggTrade/…,
                  /ws/<stream>, /stream for every stream); starts when the first client connects.
  --speed         max (default): as fast as the sink takes; 1: paced by event time; 10: ten times faster.
  Before the first record the stored range is checked for holes (store only, no exchange call): they
  are listed and the replay goes on, or with --fail-on-holes stops with exit 1.
  Exit 0 when every record was sent, 1 on holes with --fail-on-holes, a failure or Ctrl-C, 2 usage error.`;

const SymbolsOption = z
  .string({ error: (issue) => (issue.input === undefined ? 'missing --symbols (e.g. --symbols BTCUSDT,ETHUSDT)' : undefined) })
  .transform((text) => text.split(',').filter((w) => w.trim() !== ''))
  .pipe(
    z
      .array(MarketSymbol)
      .min(1, { error: 'missing --symbols (e.g. --symbols BTCUSDT,ETHUSDT)' })
      .max(MAX_REPLAY_SYMBOLS, { error: `invalid --symbols: at most ${MAX_REPLAY_SYMBOLS}` }),
  );

const SpeedOption = z
  .string()
  .default('max')
  .transform((text, ctx) => {
    const parsed = ReplaySpeed.safeParse(text);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: `invalid --speed ${JSON.stringify(text)}; accepted: ${REPLAY_SPEEDS_ACCEPTED}` });
    return z.NEVER;
  });

const TopicOption = z
  .string()
  .optional()
  .superRefine((text, ctx) => {
    if (text !== undefined && !ReplayTopic.safeParse(text).success) {
      ctx.addIssue({ code: 'custom', message: `invalid --topic ${JSON.stringify(text)}; accepted: 1-249 letters, digits, ".", "_" or "-"` });
    }
  });

const PortOption = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (/^\d+$/.test(text.trim()) && n <= 65_535) return n;
    ctx.addIssue({ code: 'custom', message: `invalid --ws-port ${JSON.stringify(text)}; accepted: a port from 0 (any free one) to 65535` });
    return z.NEVER;
  });

const ReplayArgs = z
  .object({
    positionals: z.array(z.string()).max(0, { error: (issue) => `unexpected ${(issue.input as string[]).join(' ')}; symbols go in --symbols` }),
    values: z
      .object({
        symbols: SymbolsOption,
        type: TypeOption,
        ...RangeFields,
        topic: TopicOption,
        'ws-port': PortOption,
        speed: SpeedOption,
        'message-format': oneOf('message-format', ['record', 'batch']),
        'fail-on-holes': Flag,
        'data-dir': Text,
        'no-progress': Flag,
      })
      .refine((v) => (v.topic === undefined) !== (v['ws-port'] === undefined), {
        error: 'give exactly one of --topic NAME (a Kafka topic) and --ws-port N (a local WebSocket)',
      })
      .refine((v) => v['ws-port'] === undefined || v['message-format'] === 'record', {
        error: '--message-format batch is for --topic; a WebSocket replay sends Binance frames',
      }),
  })
  .transform(({ values }, ctx) => ({
    symbols: [...new Set(values.symbols)],
    type: values.type,
    range: rangeOf(values, ctx),
    topic: values.topic,
    wsPort: values['ws-port'],
    speed: values.speed,
    messageFormat: values['message-format'],
    failOnHoles: values['fail-on-holes'],
    dataDir: values['data-dir'],
    progress: !values['no-progress'],
  }));
type ReplayArgs = z.output<typeof ReplayArgs>;

/** `streamforge replay`: stored records of several symbols, in event-time order, into a topic or onto a WebSocket. */
export const replayCommand = defineCommand({
  name: 'replay',
  usage: REPLAY_USAGE,
  options: {
    symbols: { type: 'string' },
    type: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    topic: { type: 'string' },
    'ws-port': { type: 'string' },
    speed: { type: 'string' },
    'message-format': { type: 'string', default: 'record' },
    'fail-on-holes': { type: 'boolean' },
    'data-dir': { type: 'string' },
    'no-progress': { type: 'boolean' },
  },
  schema: ReplayArgs,
  async run(args, io) {
    const config = loadConfig({ STREAMFORGE_DATA_DIR: args.dataDir }, io.env, ONE_SHOT_DEFAULTS);
    const { createRuntime } = await import('../runtime.ts');
    const { BusReplaySink, ReplayRun, WebSocketReplaySink } = await import('../replay/index.ts');
    const { ProgressDisplay } = await import('./progress-display.ts');
    const runtime = createRuntime(config, {}, { manager: false });
    const { clock } = runtime;
    try {
      const ws = args.wsPort === undefined ? undefined : new WebSocketReplaySink(args.wsPort);
      if (ws) {
        await ws.listen();
        const url = `ws://127.0.0.1:${ws.where().ws_port}/stream?streams=${args.symbols.map((s) => streamName(s, args.type)).join('/')}`;
        writeLine(io.err, `replay: serving on ${url}; it starts when the first client connects`);
      }
      const sink = ws ?? new BusReplaySink(runtime.bus, args.topic ?? '', args.messageFormat);
      const run = new ReplayRun(
        { symbols: args.symbols, type: args.type, fromMs: args.range.fromMs, toMs: args.range.toMs, speed: args.speed, messageFormat: args.messageFormat, failOnHoles: args.failOnHoles },
        { store: runtime.store, clock, sink },
      );
      const progress = new ProgressDisplay(io, { enabled: args.progress, now: () => clock.now() });
      let holesShown = false;
      const onProgress = (state: ReplayState) => {
        if (!holesShown && state.status === 'pending') {
          holesShown = true;
          printHoles(io, args, state.holes);
          return;
        }
        progress.update([{ id: 'replay', label: `${args.symbols.join(',')} ${args.type}`, status: replayedClock(state), count: { done: state.records, expected: undefined, unit: 'records' } }]);
      };
      const ended = run.run(onProgress).then((state) => {
        progress.finish();
        return report(io, args, state, sink.where(), progress.elapsedSeconds());
      });
      return await hostUntilSignal({
        ended,
        onSignal: async () => {
          run.stop();
          await ended;
          return 1;
        },
        close: () => Promise.resolve(),
      });
    } finally {
      await runtime.close();
    }
  },
});

/** The Binance stream a type's records are served on, for the URL printed. */
function streamName(symbol: string, type: string): string {
  const s = symbol.toLowerCase();
  const candles = /_candles_(.+)$/.exec(type);
  if (candles) return `${s}@kline_${candles[1] ?? ''}`;
  if (type === 'ws_depth') return `${s}@depth@100ms`;
  return type === 'ws_trades' ? `${s}@trade` : `${s}@aggTrade`;
}

function replayedClock(state: ReplayState): string {
  return state.replayedToMs === undefined ? state.status : `at ${new Date(state.replayedToMs).toISOString()}`;
}

function printHoles(io: CliIo, args: ReplayArgs, holes: readonly ReplayHole[]): void {
  if (holes.length === 0) {
    writeLine(io.err, 'replay: no holes in the stored range');
    return;
  }
  writeLine(io.err, `replay: ${holes.length} hole${holes.length === 1 ? '' : 's'} in the stored range (from the store alone)${args.failOnHoles ? '; --fail-on-holes: stopping' : '; going on'}`);
  for (const h of holes.slice(0, 20)) {
    const ids = h.from_id === undefined ? '' : ` ids ${h.from_id}-${h.to_id ?? h.from_id}`;
    writeLine(io.err, `  ${h.symbol} [${h.from}, ${h.to}) ${h.count} missing${ids}`);
  }
  if (holes.length > 20) writeLine(io.err, `  … and ${holes.length - 20} more`);
}

function report(io: CliIo, args: ReplayArgs, state: ReplayState, where: { topic: string } | { ws_port: number }, seconds: number): number {
  const into = 'topic' in where ? `topic ${where.topic}` : `ws://127.0.0.1:${where.ws_port}`;
  if (state.status === 'completed') {
    const rate = seconds > 0 ? ` (${Math.round(state.records / seconds).toLocaleString('en-US')}/s)` : '';
    writeLine(io.out, `replayed ${state.records} records of ${args.symbols.join(',')} ${args.type} into ${into} in ${seconds.toFixed(1)} s${rate}; ${state.holes.length} holes`);
    return 0;
  }
  const why = state.error ? `: ${state.error.message}` : '';
  writeLine(io.err, `replay ${state.status} after ${state.records} records${why}`);
  return 1;
}
