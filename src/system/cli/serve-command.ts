import { z } from 'zod';
import { StageRoles } from '../../actors/ports/launcher.ts';
import type { DummyService, StageRole, SupervisionPolicy } from '../../actors/index.ts';
import { newShortId, telemetryId, unixSeconds } from '../../protocol/index.ts';
import type { StartCommand } from '../../protocol/index.ts';
import { ConfigSchema, hostsManager, LauncherKinds, loadConfig, Roles, stageCommandFromConfig } from '../config/index.ts';
import type { Config, Role } from '../config/index.ts';
import type { AdminServer } from '../http/index.ts';
import type { Runtime } from '../runtime.ts';
import { writeLine } from './cli-io.ts';
import { Flag, oneOf, Text, wholeNumber } from './cli-args.ts';
import { defineCommand } from './command.ts';
import { hostUntilSignal } from './host-until-signal.ts';

const defaults = ConfigSchema.parse({});

export const SERVE_USAGE = `Usage: streamforge serve [--role ${Roles.join('|')}] [--host ${defaults.HOST}] [--port ${defaults.PORT}] [--launcher ${LauncherKinds.join('|')}] [--data-dir DIR]
       streamforge serve --role dummy [--queue-id X] [--simulate-loading] [--fail-after N] [--ticks N] [--tick-ms MS]
  Runs the actors of a role with probes and /metrics until SIGTERM or SIGINT; roles all and manager also serve the
  data and control API. Role also from ROLE (default ${defaults.ROLE}), host from HOST (default ${defaults.HOST}: loopback only), port
  from PORT. Serving the API beyond loopback needs STREAMFORGE_API_TOKEN (or STREAMFORGE_INSECURE_NO_AUTH=true behind an
  authenticating proxy).
  Roles ${StageRoles.join(', ')} run one stage of one workflow, assigned by QUEUE_ID, SYMBOL, TYPE, TIME_RANGE, KAFKA_TOPIC,
  COLLECTION_NAME, TELEMETRY_PRODUCER_ID (what the process and Kubernetes launchers set); on SIGTERM a stage keeps
  what is durable and exits 143 (its launcher runs it again), all and manager exit 0.
  Role connector without QUEUE_ID is the connector pool: it writes every workflow's data (for managers run
  with CONNECTOR_POOL=true), in consumer group streamforge-connector, scaled by KEDA on its lag.`;

const ServeArgs = z.object({
  positionals: z.array(z.string()).max(0, { error: 'serve takes no positional arguments' }),
  values: z.object({
    role: oneOf('role', Roles).optional(),
    host: Text,
    port: Text,
    launcher: oneOf('launcher', LauncherKinds).optional(),
    'data-dir': Text,
    'queue-id': Text,
    'simulate-loading': Flag,
    'fail-after': wholeNumber('fail-after', 0),
    ticks: wholeNumber('ticks', 0),
    'tick-ms': wholeNumber('tick-ms', 0),
  }),
});
type ServeValues = z.output<typeof ServeArgs>['values'];

/** `streamforge serve`: hosts a role's actors and its HTTP server until SIGTERM/SIGINT (or, for a stage, until it ends). */
export const serveCommand = defineCommand({
  name: 'serve',
  usage: SERVE_USAGE,
  options: {
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
  },
  schema: ServeArgs,
  async run({ values }, io) {
    const config = loadConfig(
      { ROLE: values.role, HOST: values.host, PORT: values.port, STREAMFORGE_DATA_DIR: values['data-dir'], STREAMFORGE_LAUNCHER: values.launcher },
      io.env,
    );
    const { AdminServer, API_ROUTES, PROBE_ROUTES, assertSafeBind } = await import('../http/index.ts');
    // Before any actor starts: a refused bind is a clear startup error, not a half-started process.
    assertSafeBind(config.HOST, hostsManager(config.ROLE), config);
    const wiring = roleWiring(config, values);
    const { createRuntime } = await import('../runtime.ts');
    const runtime = createRuntime(config);
    let server: AdminServer | undefined;
    const close = async () => {
      await server?.close();
      await runtime.close();
    };
    try {
      await wiring.prepare?.(runtime);
      server = new AdminServer(runtime, { routes: hostsManager(config.ROLE) ? [...API_ROUTES, ...PROBE_ROUTES] : PROBE_ROUTES });
      const port = await server.listen(config.PORT, config.HOST);
      runtime.logger.info({ host: config.HOST, port, role: config.ROLE, bus: runtime.bus.kind, store: runtime.store.kind }, 'serving');
      writeLine(io.err, `${wiring.name} listening on ${urlOf(config.HOST, port)}`);
    } catch (err) {
      // A taken port must end the process, not leave it hanging.
      await close();
      throw err;
    }
    const ended = wiring.start(runtime);
    return hostUntilSignal({
      ended,
      onSignal: (signal) => {
        runtime.logger.info({ signal }, 'shutting down');
        return Promise.resolve(wiring.exitOnSignal);
      },
      close,
    });
  },
});

/** What `serve` does for one role, between the runtime being built and the signal. */
interface RoleWiring {
  /** As the process announces itself. */
  readonly name: string;
  /** Before the server listens (topics the role's actors need). */
  prepare?(runtime: Runtime): Promise<void>;
  /** Starts the role's actors; resolves with the exit code if they end by themselves. */
  start(runtime: Runtime): Promise<number>;
  /** The exit code after SIGTERM or SIGINT: 143 for a stage (its launcher runs it again), 0 for a service. */
  readonly exitOnSignal: number;
}

/** A stage process restarts as a whole (its launcher relaunches it within the workflow's budget): nothing restarts inside. */
const NO_RESTARTS: SupervisionPolicy = Object.freeze({ maxRestarts: 0, windowMs: 1, initialBackoffMs: 0, maxBackoffMs: 0 });
/** The exit code of a process ended by SIGTERM. */
const SIGTERM_EXIT = 143;

function roleWiring(config: Config, values: ServeValues): RoleWiring {
  const role: Role = config.ROLE;
  if (hostsManager(role)) {
    // The manager was spawned with the runtime; it serves until the signal.
    return { name: `streamforge ${role}`, start: () => new Promise<number>(() => undefined), exitOnSignal: 0 };
  }
  if (role === 'dummy') return dummyWiring(config, values);
  if (role === 'connector' && config.QUEUE_ID === undefined) return connectorPoolWiring(config);
  if (isStageRole(role)) return stageWiring(config, role);
  throw new Error(`role ${role} has no wiring in serve`);
}

function isStageRole(role: Role): role is StageRole {
  return (StageRoles as readonly string[]).includes(role);
}

/**
 * One stage of one workflow, as a Job's pod runs it: exit 0 when the stage ended by itself (finished,
 * failed with its telemetry sent, or stopped on command), 1 when it crashed, so the launcher relaunches it.
 */
function stageWiring(config: Config, role: StageRole): RoleWiring {
  return {
    name: `streamforge ${role}`,
    async start(runtime) {
      const { spawnStage } = await import('../../actors/index.ts');
      const command = stageCommandFromConfig(config, role, runtime.clock.now());
      runtime.logger.info({ role, queue_id: command.queue_id }, 'stage starting');
      return new Promise<number>((resolve) => {
        spawnStage(runtime.host, role, command, runtime.stageDeps, {
          supervision: NO_RESTARTS,
          onStop: (failure) => {
            if (failure !== undefined) runtime.logger.error({ err: failure }, 'stage crashed');
            resolve(failure === undefined ? 0 : 1);
          },
        });
      });
    },
    exitOnSignal: SIGTERM_EXIT,
  };
}

/**
 * The connector pool: `ROLE=connector` without a `QUEUE_ID` serves the connectors of every workflow
 * (managers with `CONNECTOR_POOL=true` launch none), in one consumer group KEDA scales on lag.
 */
function connectorPoolWiring(config: Config): RoleWiring {
  const instanceId = config.STREAMFORGE_INSTANCE_ID ?? config.HOSTNAME ?? `pool-${newShortId()}`;
  return {
    name: `streamforge connector pool ${instanceId}`,
    async start(runtime) {
      const { ConnectorPool } = await import('../../actors/index.ts');
      return new Promise<number>((resolve) => {
        runtime.host.spawn({
          name: 'connector-pool',
          actorType: 'connector-pool',
          supervision: runtime.policies.connectorPoolRestart,
          create: (ctx) => new ConnectorPool(runtime.stageDeps, { instanceId, pollMs: config.CONNECTOR_POOL_POLL_MS }, ctx),
          onStop: (failure) => resolve(failure === undefined ? 0 : 1),
        });
      });
    },
    exitOnSignal: 0,
  };
}

/** The original dummy-service: telemetry, pong, stop; exit 1 after a simulated failure. */
function dummyWiring(config: Config, values: ServeValues): RoleWiring {
  const short = newShortId();
  const queueId = values['queue-id'] ?? config.QUEUE_ID ?? `wf-dummy-${short}`;
  const telemetry = config.TELEMETRY_PRODUCER_ID ?? telemetryId('dummy-service', short);
  const options = {
    simulateLoading: values['simulate-loading'],
    ...(values['fail-after'] !== undefined ? { failAfter: values['fail-after'] } : {}),
    ...(values.ticks !== undefined ? { ticks: values.ticks } : {}),
    ...(values['tick-ms'] !== undefined ? { tickMs: values['tick-ms'] } : {}),
  };
  return {
    name: `dummy-service for ${queueId} as ${telemetry},`,
    prepare: (runtime) => runtime.bus.ensureTopics([{ name: config.QUEUE_CONTROL_TOPIC }, { name: config.QUEUE_EVENTS_TOPIC }]),
    async start(runtime) {
      const { DummyService } = await import('../../actors/index.ts');
      const command: StartCommand = {
        command: 'start',
        queue_id: queueId,
        target: 'dummy-service',
        symbol: config.SYMBOL ?? 'BTCUSDT',
        type: config.TYPE ?? 'dummy',
        time_range: config.TIME_RANGE ?? '',
        kafka_topic: config.KAFKA_TOPIC ?? `${queueId}-data`,
        collection_name: config.COLLECTION_NAME ?? 'dummy',
        telemetry_id: telemetry,
        timestamp: unixSeconds(runtime.clock.now()),
      };
      let dummy: DummyService | undefined;
      return new Promise<number>((resolve) => {
        runtime.host.spawn({
          name: 'dummy',
          actorType: 'dummy',
          supervision: NO_RESTARTS,
          create: (ctx) => (dummy = new DummyService(runtime.stageDeps, command, options, ctx)),
          onStop: (failure) => resolve(failure !== undefined || dummy?.failed === true ? 1 : 0),
        });
      });
    },
    exitOnSignal: SIGTERM_EXIT,
  };
}

/** Where the server can be reached, as printed: a wildcard bind is reachable on loopback too. */
function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? host : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}
