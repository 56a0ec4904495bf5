import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../config/index.ts';
import type { ExchangeSimulator } from '../exchange-simulator/index.ts';
import type { AdminServer } from '../http/index.ts';
import type { ModelService } from '../query/index.ts';
import type { Runtime } from '../runtime.ts';
import { writeLine } from './cli-io.ts';
import { Text, wholeNumber } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { DEMO_UNIVERSE } from './demo-workflows.ts';
import { hostUntilSignal } from './host-until-signal.ts';

const DEFAULT_DEMO_PORT = 8080;
const MAX_PORT = 65_535;

export const DEMO_USAGE = `Usage: streamforge demo [--port N] [--data-dir DIR]
  Tries StreamForge without Binance (offline, behind a firewall): starts the exchange simulator on
  loopback (SIMULATED data: synthetic prices, nothing from Binance), serve --role all against it on
  127.0.0.1:--port (default ${DEFAULT_DEMO_PORT}; 0: a free one) with the embedded bus and store, and a few workflows:
  BTCUSDT candles and trades over REST, a live BTCUSDT trade stream, and a small gnn_train on
  ${DEMO_UNIVERSE.length} simulated symbols (a minute or two). Prints the web console's URL. Ctrl-C stops everything.
  The data goes to a temporary directory removed at the end, or to --data-dir DIR, kept (not your
  usual data dir: simulated candles must not mix with real ones).`;

const DemoArgs = z.object({
  positionals: z.array(z.string()).max(0, { error: (issue) => `demo takes no positional arguments; got ${(issue.input as string[]).join(' ')}` }),
  values: z.object({
    port: wholeNumber('port', 0).refine((port) => port === undefined || port <= MAX_PORT, { error: `invalid --port; accepted: a whole number from 0 to ${MAX_PORT}` }),
    'data-dir': Text,
  }),
});

/** Only what shapes logs and training passes from the environment: the demo always runs embedded, on loopback, without a token. */
const PASSED_ENV = ['LOG_LEVEL', 'LOG_FORMAT', 'TF_BACKEND'] as const;

/** `streamforge demo`: the simulator, `serve --role all` against it and a few workflows, until Ctrl-C. */
export const demoCommand = defineCommand({
  name: 'demo',
  usage: DEMO_USAGE,
  options: {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  schema: DemoArgs,
  async run({ values }, io) {
    const { startExchangeSimulator } = await import('../exchange-simulator/index.ts');
    const { DEMO_EXCHANGE, startDemoWorkflows, followDemoWorkflows, modelLine } = await import('./demo-workflows.ts');
    const keepData = values['data-dir'] !== undefined;
    const dataDir = values['data-dir'] ?? (await mkdtemp(join(tmpdir(), 'streamforge-demo-')));
    let sim: ExchangeSimulator | undefined;
    let runtime: Runtime | undefined;
    let server: AdminServer | undefined;
    let models: ModelService | undefined;
    const following = new AbortController();
    let followed: Promise<void> = Promise.resolve();
    const close = async () => {
      following.abort();
      await followed;
      await models?.close();
      await server?.close();
      await runtime?.close();
      await sim?.close();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    };
    let base: string;
    try {
      sim = await startExchangeSimulator(DEMO_EXCHANGE);
      const env = Object.fromEntries(PASSED_ENV.flatMap((name) => (io.env[name] === undefined ? [] : [[name, io.env[name]]])));
      const config = loadConfig(
        {
          ROLE: 'all',
          HOST: '127.0.0.1',
          PORT: String(values.port ?? DEFAULT_DEMO_PORT),
          STREAMFORGE_DATA_DIR: dataDir,
          STREAMFORGE_LAUNCHER: 'inprocess',
          BINANCE_API_URL: sim.url,
          BINANCE_WS_URL: sim.wsUrl,
          BINANCE_ARCHIVE_URL: sim.archiveUrl,
        },
        env,
        { LOG_LEVEL: 'warn' },
      );
      const { AdminServer, API_ROUTES, PROBE_ROUTES } = await import('../http/index.ts');
      const { createRuntime } = await import('../runtime.ts');
      runtime = createRuntime(config);
      server = new AdminServer(runtime, { routes: [...API_ROUTES, ...PROBE_ROUTES] });
      const port = await server.listen(config.PORT, config.HOST);
      base = `http://127.0.0.1:${port}`;
    } catch (err) {
      await close();
      throw err;
    }
    writeLine(
      io.out,
      [
        'StreamForge demo: every price, trade and model here comes from SIMULATED exchange data (nothing from Binance).',
        `Exchange simulator (Binance-compatible) on ${sim.url}; data in ${dataDir}${keepData ? '' : ' (removed at the end)'}`,
        `Web console: ${base}/`,
      ].join('\n'),
    );
    const rt = runtime;
    const { LocalManager } = await import('../manager/index.ts');
    if (rt.manager === undefined) throw new Error('the runtime of role all hosts no manager');
    const manager = new LocalManager(rt.manager, rt.store);
    const { modelServiceFor } = await import('../query/index.ts');
    const modelService = (models = modelServiceFor(rt.config, rt.store, rt.logger));
    try {
      const workflows = await startDemoWorkflows(io, manager, rt.clock.now());
      const describe = async (id: string) => modelLine(await modelService.get(id));
      followed = followDemoWorkflows(io, manager, workflows, rt.clock, following.signal, describe).catch((err: unknown) => {
        writeLine(io.err, `demo: could not follow the workflows: ${(err as Error).message}`);
      });
    } catch (err) {
      await close();
      throw err;
    }
    writeLine(io.out, 'Ctrl-C stops everything.');
    return hostUntilSignal({
      ended: new Promise<number>(() => undefined),
      onSignal: (signal) => {
        writeLine(io.err, `demo stopping (${signal})`);
        return Promise.resolve(0);
      },
      close,
    });
  },
});
