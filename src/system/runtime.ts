import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Manager } from '../actors/index.ts';
import type { ActorRef, AnalyticsDeps, Bus, HttpClient, WebSocketConnector, Launcher, ManagerMessage, ObjectStore, StageDeps, Store, SupervisionPolicy, Clock } from '../actors/index.ts';
import type { Logger as PinoLogger } from 'pino';
import { LocalActorHost } from './actor-system/index.ts';
import { createBus } from './bus/index.ts';
import { retryPolicies } from './config/index.ts';
import type { Config, RetryPolicies } from './config/index.ts';
import { UndiciHttpClient, WsWebSocketConnector } from './exchange/index.ts';
import { DEFAULT_TRAINER_JOB_SETTINGS, InProcessLauncher, KubernetesLauncher, ProcessLauncher, PooledConnectorLauncher } from './launcher/index.ts';
import { ConfigError } from '../protocol/index.ts';
import { createLogger, PromMetrics, systemClock } from './observability/index.ts';
import { createObjectStore } from './objects/index.ts';
import { storeCandleSource } from './query/index.ts';
import { createStore } from './store/index.ts';

/** Seams for tests and benchmarks: a real component wrapped (e.g. with fault injection) or replaced. */
export interface RuntimeOverrides {
  readonly bus?: Bus;
  readonly store?: Store;
  readonly http?: HttpClient;
  readonly ws?: WebSocketConnector;
  readonly clock?: Clock;
  readonly logger?: PinoLogger;
  readonly stageSupervision?: SupervisionPolicy;
  readonly launcher?: (deps: StageDeps) => Launcher;
  readonly progressIntervalMs?: number;
  readonly objects?: ObjectStore;
}

export interface Runtime {
  readonly config: Config;
  readonly bus: Bus;
  readonly store: Store;
  readonly metrics: PromMetrics;
  readonly logger: PinoLogger;
  readonly manager: ActorRef<ManagerMessage> | undefined;
  readonly stageDeps: StageDeps;
  /** Where models (and trainers' checkpoints) are stored. */
  readonly objects: ObjectStore;
  readonly host: LocalActorHost;
  readonly launcher: Launcher;
  /** True while the manager (when this process hosts one) serves requests. */
  managerReady(): boolean;
  close(): Promise<void>;
}

/** The version in package.json, recorded with every model. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** The composition root: the only place concrete clients are built and wired to the actors. */
export function createRuntime(config: Config, overrides: RuntimeOverrides = {}): Runtime {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = new PromMetrics();
  const clock = overrides.clock ?? systemClock;
  const bus = overrides.bus ?? createBus(config, logger);
  const store = overrides.store ?? createStore(config);
  const http = overrides.http ?? new UndiciHttpClient({ timeoutMs: config.EXCHANGE_TIMEOUT_MS });
  const policies = retryPolicies(config);
  const stageSupervision = overrides.stageSupervision ?? policies.stageRestart;
  const host = new LocalActorHost({ logger, metrics, clock, supervision: policies.actorRestart });
  const objects = overrides.objects ?? createObjectStore(config, { clock, logger });
  const analytics: AnalyticsDeps = {
    candles: storeCandleSource(store),
    objects,
    // tfjs loads on first use only: most processes (loaders, connectors, the CLI) never train.
    modelBackend: () => import('./ml/index.ts').then((ml) => ml.createModelBackend(config.TF_BACKEND)),
    modelKeep: config.MODEL_KEEP,
    codeVersion: packageVersion(),
  };
  const stageDeps: StageDeps = {
    analytics,
    bus,
    store,
    clock,
    http,
    ws: overrides.ws ?? new WsWebSocketConnector(),
    metrics,
    log: logger,
    settings: {
      controlTopic: config.QUEUE_CONTROL_TOPIC,
      eventsTopic: config.QUEUE_EVENTS_TOPIC,
      binanceApiUrl: config.BINANCE_API_URL.replace(/\/+$/, ''),
      binanceWsUrl: config.BINANCE_WS_URL.replace(/\/+$/, ''),
      binanceArchiveUrl: config.BINANCE_ARCHIVE_URL.replace(/\/+$/, ''),
      archiveMaxDownloadBytes: config.ARCHIVE_MAX_DOWNLOAD_BYTES,
      archiveMaxUnzippedBytes: config.ARCHIVE_MAX_UNZIPPED_BYTES,
      wsRotateMs: config.WS_ROTATE_MS,
      wsStaleMs: config.WS_STALE_MS,
      bookSnapshotIntervalMs: config.BOOK_SNAPSHOT_INTERVAL_MS,
      bookTopLevels: config.BOOK_TOP_LEVELS,
      retry: policies,
      exchangeWeightTarget: config.EXCHANGE_WEIGHT_TARGET,
      connectorBatchSize: config.CONNECTOR_BATCH_SIZE,
      loaderConcurrency: config.LOADER_CONCURRENCY,
      ...(overrides.progressIntervalMs !== undefined ? { progressIntervalMs: overrides.progressIntervalMs } : {}),
    },
  };
  const launcher = overrides.launcher?.(stageDeps) ?? defaultLauncher(config, stageDeps, stageSupervision, policies);
  const hostsManager = config.ROLE === 'all' || config.ROLE === 'manager';
  let managerReady = false;
  const manager = hostsManager
    ? host.spawn<ManagerMessage>({
        name: 'manager',
        actorType: 'manager',
        supervision: policies.managerRestart,
        create: (ctx) =>
          new Manager(
            {
              bus,
              store,
              clock,
              launcher,
              metrics,
              controlTopic: config.QUEUE_CONTROL_TOPIC,
              eventsTopic: config.QUEUE_EVENTS_TOPIC,
              ...(config.STREAMFORGE_IMAGE ? { image: config.STREAMFORGE_IMAGE } : {}),
              stallTimeoutMs: config.STALL_TIMEOUT_MS,
              instanceId: config.STREAMFORGE_INSTANCE_ID ?? config.HOSTNAME ?? `manager-${randomBytes(4).toString('hex')}`,
              ownershipLeaseMs: config.OWNERSHIP_LEASE_MS,
              readiness: (ready) => (managerReady = ready),
              stageSupervision,
            },
            ctx,
          ),
      })
    : undefined;

  let closed = false;
  return {
    config,
    bus,
    store,
    metrics,
    logger,
    manager,
    stageDeps,
    objects,
    host,
    launcher,
    managerReady: () => managerReady,
    async close() {
      if (closed) return;
      closed = true;
      launcher.detach?.();
      await host.shutdown();
      await bus.close();
      await store.close();
      await objects.close();
      if (http instanceof UndiciHttpClient) await http.close();
      logger.flush();
    },
  };
}

function defaultLauncher(config: Config, deps: StageDeps, supervision: SupervisionPolicy, policies: RetryPolicies): Launcher {
  const launcher = stageLauncher(config, deps, supervision, policies);
  return config.CONNECTOR_POOL ? new PooledConnectorLauncher(launcher) : launcher;
}

function stageLauncher(config: Config, deps: StageDeps, supervision: SupervisionPolicy, policies: RetryPolicies): Launcher {
  switch (config.STREAMFORGE_LAUNCHER) {
    case 'inprocess':
      return new InProcessLauncher(deps, supervision);
    case 'process':
      return new ProcessLauncher({ config, supervision });
    case 'kubernetes':
      return new KubernetesLauncher({
        image: config.STREAMFORGE_IMAGE,
        namespace: config.K8S_NAMESPACE,
        supervision,
        clock: deps.clock,
        policies,
        stuckPodTimeoutMs: config.K8S_JOB_STUCK_POD_TIMEOUT_MS,
        job: {
          imagePullPolicy: config.K8S_JOB_IMAGE_PULL_POLICY,
          activeDeadlineSeconds: config.K8S_JOB_ACTIVE_DEADLINE_SECONDS,
          ttlSecondsAfterFinished: config.K8S_JOB_TTL_SECONDS_AFTER_FINISHED,
          resources: {
            requests: { cpu: config.K8S_JOB_CPU_REQUEST, memory: config.K8S_JOB_MEMORY_REQUEST },
            limits: { cpu: config.K8S_JOB_CPU_LIMIT, memory: config.K8S_JOB_MEMORY_LIMIT },
          },
          roles: {
            trainer: {
              ...DEFAULT_TRAINER_JOB_SETTINGS,
              resources: {
                requests: { cpu: config.K8S_TRAINER_CPU_REQUEST, memory: config.K8S_TRAINER_MEMORY_REQUEST },
                limits: { cpu: config.K8S_TRAINER_CPU_LIMIT, memory: config.K8S_TRAINER_MEMORY_LIMIT },
              },
            },
          },
        },
      });
    default: {
      const never: never = config.STREAMFORGE_LAUNCHER;
      throw new ConfigError(`unknown launcher ${String(never)}`);
    }
  }
}
