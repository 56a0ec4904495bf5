import { z } from 'zod';
import type { ExchangeSimulator } from '../exchange-simulator/index.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { Text, wholeNumber } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { hostUntilSignal } from './host-until-signal.ts';

/** The simulator's data seed when none is given: the one the tests' oracles use. */
const DEFAULT_SIMULATOR_SEED = 1;
const DEFAULT_SIMULATOR_HOST = '127.0.0.1';
const MAX_PORT = 65_535;

export const SIMULATE_USAGE = `Usage: streamforge simulate [--port N] [--host ${DEFAULT_SIMULATOR_HOST}] [--seed S]
  Runs the Binance-compatible exchange simulator the tests use, alone, until Ctrl-C (SIGINT) or SIGTERM:
  spot REST (/api/v3/klines, aggTrades, historicalTrades, depth, exchangeInfo, time, ping) with Binance's
  weight headers, rate limits (429, then 418 with Retry-After) and error bodies; WebSocket streams
  (/ws/<stream>, /stream?streams=a/b) and the bulk archive (/data/spot/…, zips with .CHECKSUM), all on
  one port. The data is SIMULATED: deterministic synthetic prices and trades for BTCUSDT, ETHUSDT and
  PEPEUSDT (listed from 2017-01-01), the same for the same --seed (default ${DEFAULT_SIMULATOR_SEED}); nothing comes from Binance.
  Prints the BINANCE_API_URL, BINANCE_WS_URL and BINANCE_ARCHIVE_URL to point StreamForge (or any
  Binance client) at. --port 0 (the default) takes a free port; --host binds another address than loopback.`;

const SimulateArgs = z.object({
  positionals: z.array(z.string()).max(0, { error: (issue) => `simulate takes no positional arguments; got ${(issue.input as string[]).join(' ')}` }),
  values: z.object({
    port: wholeNumber('port', 0).refine((port) => port === undefined || port <= MAX_PORT, { error: `invalid --port; accepted: a whole number from 0 to ${MAX_PORT}` }),
    host: Text.refine((host) => host === undefined || host.trim() !== '', { error: 'invalid --host ""; accepted: an address to bind, e.g. 127.0.0.1' }),
    seed: wholeNumber('seed', 0),
  }),
});

/** `streamforge simulate`: the exchange simulator as a server of its own, until SIGINT or SIGTERM. */
export const simulateCommand = defineCommand({
  name: 'simulate',
  usage: SIMULATE_USAGE,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    seed: { type: 'string' },
  },
  schema: SimulateArgs,
  async run({ values }, io) {
    const { startExchangeSimulator } = await import('../exchange-simulator/index.ts');
    const seed = values.seed ?? DEFAULT_SIMULATOR_SEED;
    const sim = await startExchangeSimulator({ port: values.port ?? 0, host: values.host ?? DEFAULT_SIMULATOR_HOST, seed });
    announceSimulator(io, sim, seed);
    if (!isLoopback(values.host ?? DEFAULT_SIMULATOR_HOST)) {
      writeLine(io.out, 'StreamForge on another machine needs STREAMFORGE_ALLOW_INSECURE_EXCHANGE=true to use plain http/ws beyond loopback.');
    }
    return hostUntilSignal({
      ended: new Promise<number>(() => undefined),
      onSignal: (signal) => {
        writeLine(io.err, `simulator stopping (${signal})`);
        return Promise.resolve(0);
      },
      close: () => sim.close(),
    });
  },
});

/** What the simulator serves and how to point a client at it, the data said to be simulated first. */
export function announceSimulator(io: CliIo, sim: ExchangeSimulator, seed: number): void {
  writeLine(
    io.out,
    [
      `SIMULATED exchange (not Binance): synthetic market data, seed ${seed}`,
      `Binance-compatible simulator listening on ${sim.url}`,
      `  REST       ${sim.url}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5`,
      `  WebSocket  ${sim.wsUrl}/ws/btcusdt@aggTrade   ${sim.wsUrl}/stream?streams=btcusdt@kline_1m/ethusdt@trade`,
      `  archive    ${sim.archiveUrl}/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2024-01.zip (and .CHECKSUM)`,
      'Point StreamForge (or any Binance client) at it:',
      `BINANCE_API_URL=${sim.url}`,
      `BINANCE_WS_URL=${sim.wsUrl}`,
      `BINANCE_ARCHIVE_URL=${sim.archiveUrl}`,
      'Ctrl-C stops it.',
    ].join('\n'),
  );
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
