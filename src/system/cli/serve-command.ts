import { loadConfig, Roles, stageCommandFromConfig } from '../config/index.ts';
import type { Config } from '../config/index.ts';
import { ConnectorPool, DummyService, spawnStage } from '../../actors/index.ts';
import type { DummyMessage, PoolMessage, StageRole } from '../../actors/index.ts';
import { newShortId, telemetryId, unixSeconds } from '../../protocol/index.ts';
import { AdminServer, API_ROUTES, assertSafeBind, PROBE_ROUTES } from '../http/index.ts';
import type { RoutePlugin } from '../http/index.ts';
import type { Role } from '../config/index.ts';
import { createRuntime } from '../runtime.ts';
import type { Runtime } from '../runtime.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { parseCli } from './cli-args.ts';
import { shutdownSignals } from './shutdown-signals.ts';
import { UsageError } from './usage-error.ts';

export const SERVE_USAGE = `Usage: streamforge serve [--role ${Roles.join('|')}] [--host 127.0.0.1] [--port 8080] [--launcher inprocess|process|kubernetes] [--data-dir DIR]
       streamforge serve --role dummy [--queue-id X] [--simulate-loading] [--fail-after N] [--ticks N] [--tick-ms MS]
  Runs the actors of a role with probes and /metrics; roles all and manager also serve the data and control API.
  Role also from ROLE, host from HOST (default 127.0.0.1: loopback only), port from PORT. Serving the API beyond
  loopback needs STREAMFORGE_API_TOKEN (or STREAMFORGE_INSECURE_NO_AUTH=true behind an authenticating proxy).
  Roles loader and connector run one stage of one workflow, assigned by QUEUE_ID, SYMBOL, TYPE, TIME_RANGE,
  KAFKA_TOPIC, COLLECTION_NAME, TELEMETRY_PRODUCER_ID (what the process and Kubernetes launchers set).
  Role connector without QUEUE_ID is the connector pool: it writes every workflow's data (for managers run
  with CONNECTOR_POOL=true), in consumer group streamforge-connector, scaled by KEDA on its lag.`;

const AVAILABLE = ['all', 'manager', 'loader', 'connector', 'graph-builder', 'trainer', 'dummy'] as const;

/** `streamforge serve`: hosts a role's actors and the HTTP admin server until SIGINT/SIGTERM (or, for a stage, until it ends). */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCli(argv, {
    role: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    launcher: { type: 'string' },
    'data-dir': { type: 'string' },
    'queue-id': { type: 'string' },
    'simulate-loading': { type: 'boolean' },
    'fail-after': { type: 'string' },
    ticks: { type: 'string' },
    'tick-ms': { type: 'string' },
  });
  if (values.role !== undefined && !(Roles as readonly string[]).includes(values.role)) {
    throw new UsageError(`invalid --role ${JSON.stringify(values.role)}; accepted: ${Roles.join(' ')}`);
  }
  const launchers = ['inprocess', 'process', 'kubernetes'];
  if (values.launcher !== undefined && !launchers.includes(values.launcher)) {
    throw new UsageError(`invalid --launcher ${JSON.stringify(values.launcher)}; accepted: ${launchers.join(' ')}`);
  }
  const config = loadConfig(
    { ROLE: values.role, HOST: values.host, PORT: values.port, STREAMFORGE_DATA_DIR: values['data-dir'], STREAMFORGE_LAUNCHER: values.launcher },
    io.env,
  );
  if (!(AVAILABLE as readonly string[]).includes(config.ROLE)) {
    throw new UsageError(`role ${config.ROLE} is not available in this build yet; accepted now: ${AVAILABLE.join(' ')}`);
  }
  // Before any actor starts: a refused bind is a clear startup error, not a half-started process.
  assertSafeBind(config.HOST, servesApi(config.ROLE), config);
  if (config.ROLE === 'connector' && config.QUEUE_ID === undefined) return runConnectorPool(config, io);
  if (config.ROLE === 'loader' || config.ROLE === 'connector' || config.ROLE === 'graph-builder' || config.ROLE === 'trainer') return runStage(config, config.ROLE);
  if (config.ROLE === 'dummy') {
    const count = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid --${name} ${JSON.stringify(v)}; accepted: a whole number >= 0`);
      return n;
    };
    const failAfter = count('fail-after', values['fail-after']);
    const ticks = count('ticks', values.ticks);
    const tickMs = count('tick-ms', values['tick-ms']);
    return runDummy(config, io, {
      simulateLoading: values['simulate-loading'] === true,
      ...(failAfter !== undefined ? { failAfter } : {}),
      ...(ticks !== undefined ? { ticks } : {}),
      ...(tickMs !== undefined ? { tickMs } : {}),
    }, values['queue-id'] ?? config.QUEUE_ID);
  }

  const runtime = createRuntime(config);
  const server = new AdminServer(runtime, { routes: routesOf(config.ROLE) });
  const port = await listenOrClose(server, runtime, config);
  runtime.logger.info({ host: config.HOST, port, role: config.ROLE, bus: runtime.bus.kind, store: runtime.store.kind }, 'serving');
  writeLine(io.err, `streamforge ${config.ROLE} listening on ${urlOf(config.HOST, port)}`);
  await shutdownSignals().received;
  runtime.logger.info({}, 'shutting down');
  await server.close();
  await runtime.close();
  return 0;
}

/**
 * One stage of one workflow, as a Job's pod runs it: exit 0 when the stage ended by itself
 * (finished, failed with its telemetry sent, or stopped on command), 1 when it crashed, so the
 * launcher relaunches it.
 */
async function runStage(config: Config, role: StageRole): Promise<number> {
  const runtime: Runtime = createRuntime(config);
  const command = stageCommandFromConfig(config, role, Date.now());
  const server = new AdminServer(runtime, { routes: routesOf(role) });
  const port = await listenOrClose(server, runtime, config);
  runtime.logger.info({ host: config.HOST, port, role, queue_id: command.queue_id }, 'stage serving');
  const code = await new Promise<number>((resolve) => {
    void shutdownSignals().received.then(() => resolve(143));
    spawnStage(runtime.host, role, command, runtime.stageDeps, {
      // No restarts inside: the launcher restarts the whole process within the workflow's budget.
      supervision: { maxRestarts: 0, windowMs: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
      onStop: (failure) => {
        if (failure !== undefined) runtime.logger.error({ err: failure }, 'stage crashed');
        resolve(failure === undefined ? 0 : 1);
      },
    });
  });
  await server.close();
  await runtime.close();
  return code;
}

/**
 * The connector pool: `ROLE=connector` without a `QUEUE_ID` serves the connectors of every workflow
 * (managers with `CONNECTOR_POOL=true` launch none), in one consumer group KEDA scales on lag.
 */
async function runConnectorPool(config: Config, io: CliIo): Promise<number> {
  const runtime = createRuntime(config);
  const instanceId = config.STREAMFORGE_INSTANCE_ID ?? config.HOSTNAME ?? `pool-${newShortId()}`;
  const server = new AdminServer(runtime, { routes: routesOf('connector') });
  const port = await listenOrClose(server, runtime, config);
  runtime.logger.info({ host: config.HOST, port, instance: instanceId }, 'connector pool serving');
  writeLine(io.err, `streamforge connector pool ${instanceId} listening on ${urlOf(config.HOST, port)}`);
  const code = await new Promise<number>((resolve) => {
    void shutdownSignals().received.then(() => resolve(0));
    runtime.host.spawn<PoolMessage>({
      name: 'connector-pool',
      actorType: 'connector-pool',
      // A registry or bus still starting: keep retrying, like the manager.
      supervision: { maxRestarts: Number.MAX_SAFE_INTEGER, windowMs: 60_000, initialBackoffMs: 500, maxBackoffMs: 10_000 },
      create: (ctx) => new ConnectorPool(runtime.stageDeps, { instanceId, pollMs: config.CONNECTOR_POOL_POLL_MS }, ctx),
      onStop: (failure) => resolve(failure === undefined ? 0 : 1),
    });
  });
  await server.close();
  await runtime.close();
  return code;
}

/** The original dummy-service: telemetry, pong, stop; exit 1 after a simulated failure. */
async function runDummy(config: Config, io: CliIo, options: ConstructorParameters<typeof DummyService>[2], queueIdArg: string | undefined): Promise<number> {
  const runtime = createRuntime(config);
  const short = newShortId();
  const queueId = queueIdArg ?? `wf-dummy-${short}`;
  const command = {
    command: 'start' as const,
    queue_id: queueId,
    target: 'dummy-service',
    symbol: config.SYMBOL ?? 'BTCUSDT',
    type: config.TYPE ?? 'dummy',
    time_range: config.TIME_RANGE ?? '',
    kafka_topic: config.KAFKA_TOPIC ?? `${queueId}-data`,
    collection_name: config.COLLECTION_NAME ?? 'dummy',
    telemetry_id: config.TELEMETRY_PRODUCER_ID ?? telemetryId('dummy-service', short),
    timestamp: unixSeconds(Date.now()),
  };
  await runtime.bus.ensureTopics([{ name: config.QUEUE_CONTROL_TOPIC }, { name: config.QUEUE_EVENTS_TOPIC }]);
  const server = new AdminServer(runtime, { routes: routesOf('dummy') });
  const port = await listenOrClose(server, runtime, config);
  writeLine(io.err, `dummy-service for ${queueId} as ${command.telemetry_id}, ${urlOf(config.HOST, port)}`);
  let dummy: DummyService | undefined;
  const code = await new Promise<number>((resolve) => {
    void shutdownSignals().received.then(() => resolve(143));
    runtime.host.spawn<DummyMessage>({
      name: 'dummy',
      actorType: 'dummy',
      supervision: { maxRestarts: 0, windowMs: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
      create: (ctx) => (dummy = new DummyService(runtime.stageDeps, command, options, ctx)),
      onStop: (failure) => resolve(failure !== undefined || dummy?.failed === true ? 1 : 0),
    });
  });
  await server.close();
  await runtime.close();
  return code;
}

/** Roles that host the manager serve the data and control API; stage roles only probes and metrics. */
function servesApi(role: Role): boolean {
  return role === 'all' || role === 'manager';
}

function routesOf(role: Role): readonly RoutePlugin[] {
  return servesApi(role) ? [...API_ROUTES, ...PROBE_ROUTES] : PROBE_ROUTES;
}

/** Where the server can be reached, as printed: a wildcard bind is reachable on loopback too. */
function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? host : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

/** Listens, or closes the runtime and rethrows (a taken port must end the process, not leave it hanging). */
async function listenOrClose(server: AdminServer, runtime: Runtime, config: Config): Promise<number> {
  try {
    return await server.listen(config.PORT, config.HOST);
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
