import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Manager } from '../actors/index.ts';
import type { ActorRef, AnalyticsDeps, Bus, HttpClient, WebSocketConnector, Launcher, ManagerMessage, ObjectStore, StageDeps, Store, SupervisionPolicy, Clock } from '../actors/index.ts';
import type { Logger as PinoLogger } from 'pino';
import { LocalActorHost } from './actor-system/index.ts';
import { createBus, WatchedBus } from './bus/index.ts';
import { hostsManager, retryPolicies } from './config/index.ts';
import type { Config, RetryPolicies } from './config/index.ts';
import { UndiciHttpClient, WsWebSocketConnector } from './exchange/index.ts';
import { DEFAULT_TRAINER_JOB_SETTINGS, InProcessLauncher, KubernetesLauncher, ProcessLauncher, PooledConnectorLauncher } from './launcher/index.ts';
import { ConfigError } from '../protocol/index.ts';
import { createLogger, PromMetrics, systemClock } from './observability/index.ts';
import { createObjectStore } from './objects/index.ts';
import { countWorkflowsByStatus, storeCandleSource } from './query/index.ts';
import { createStore } from './store/index.ts';
import { WorkflowChanges } from './manager/index.ts';

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

export interface RuntimeOptions {
  /**
   * Host the manager actor (it adopts unfinished workflows at once). One-shot commands that only
   * read the store or talk on the bus say false.
   * @defaultValue true for roles `all` and `manager`
   */
  readonly manager?: boolean;
}

/**
 * The components of one process. Each is built on first use, so a command that only reads the store
 * opens no bus and loads no Kafka or Kubernetes client; `close()` closes what was built.
 */
export interface Runtime {
  readonly config: Config;
  readonly logger: PinoLogger;
  readonly clock: Clock;
  readonly policies: RetryPolicies;
  readonly metrics: PromMetrics;
  readonly bus: Bus;
  readonly store: Store;
  /** The exchange's REST client. */
  readonly http: HttpClient;
  readonly stageDeps: StageDeps;
  /** Where models (and trainers' checkpoints) are stored. */
  readonly objects: ObjectStore;
  readonly host: LocalActorHost;
  readonly launcher: Launcher;
  readonly manager: ActorRef<ManagerMessage> | undefined;
  /** True while the manager (when this process hosts one) serves requests. */
  managerReady(): boolean;
  /** The workflows this process's manager saves, as they are saved (none without a manager). */
  readonly workflowChanges: WorkflowChanges;
  /** Why this process should get no traffic now (`/health/ready` answers 503 with it), or undefined when it is ready. */
  notReady(): string | undefined;
  close(): Promise<void>;
}

/** The version in package.json, recorded with every model. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** A component built on first call; `close` closes it only if it was built. */
interface Lazy<T> {
  (): T;
  built(): boolean;
  close(): Promise<void>;
}

function lazy<T>(build: () => T, close: (value: T) => Promise<void> | void = () => undefined): Lazy<T> {
  let value: { readonly v: T } | undefined;
  let closed = false;
  const get = (() => (value ??= { v: build() }).v) as Lazy<T>;
  get.built = () => value !== undefined;
  get.close = async () => {
    if (value === undefined || closed) return;
    closed = true;
    await close(value.v);
  };
  return get;
}

/** The composition root: the only place concrete clients are built and wired to the actors. */
export function createRuntime(config: Config, overrides: RuntimeOverrides = {}, options: RuntimeOptions = {}): Runtime {
  const logger = overrides.logger ?? createLogger(config);
  const clock = overrides.clock ?? systemClock;
  const policies = retryPolicies(config);
  const stageSupervision = overrides.stageSupervision ?? policies.stageRestart;
  const metrics = lazy(() => {
    const m = new PromMetrics();
    m.consumerLag(async () => {
      try {
        return bus.built() ? await bus().lag() : [];
      } catch (err) {
        logger.warn({ err }, 'consumer lag not read');
        return undefined;
      }
    });
    return m;
  });
  const bus = lazy(
    () => new WatchedBus(overrides.bus ?? createBus(config, logger), { clock, resubscribeGraceMs: stageSupervision.maxBackoffMs }),
    (b) => b.close(),
  );
  const store = lazy(() => overrides.store ?? createStore(config), (s) => s.close());
  const http = lazy(
    () => overrides.http ?? new UndiciHttpClient({ timeoutMs: config.EXCHANGE_TIMEOUT_MS }),
    (h) => (h instanceof UndiciHttpClient ? h.close() : undefined),
  );
  const objects = lazy(() => overrides.objects ?? createObjectStore(config, { clock, logger }), (o) => o.close());
  const analytics = (): AnalyticsDeps => ({
    candles: storeCandleSource(store()),
    objects: objects(),
    // tfjs loads on first use only: most processes (loaders, connectors, the CLI) never train.
    modelBackend: () => import('./ml/index.ts').then((ml) => ml.createModelBackend(config.TF_BACKEND)),
    modelKeep: config.MODEL_KEEP,
    codeVersion: packageVersion(),
  });
  const host = lazy(
    () => new LocalActorHost({ logger, metrics: metrics(), clock, supervision: policies.actorRestart }),
    (h) => h.shutdown(),
  );
  const stageDeps = lazy((): StageDeps => ({
    analytics: analytics(),
    bus: bus(),
    store: store(),
    clock,
    http: http(),
    ws: overrides.ws ?? new WsWebSocketConnector(),
    metrics: metrics(),
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
  }));
  const launcher = lazy(
    () => overrides.launcher?.(stageDeps()) ?? defaultLauncher(config, stageDeps(), stageSupervision, policies),
    // Jobs outlive this process for the next manager to take over; local stages stop with the host.
    (l) => l.detach?.(),
  );

  let managerReady = false;
  const workflowChanges = new WorkflowChanges();
  const manager = (options.manager ?? hostsManager(config.ROLE)) ? spawnManager() : undefined;

  function spawnManager(): ActorRef<ManagerMessage> {
    metrics().workflowCounts(async () => {
      try {
        return await countWorkflowsByStatus(store());
      } catch (err) {
        logger.warn({ err }, 'workflow counts not read');
        return undefined;
      }
    });
    return host().spawn<ManagerMessage>({
      name: 'manager',
      actorType: 'manager',
      supervision: policies.managerRestart,
      create: (ctx) =>
        new Manager(
          {
            bus: bus(),
            store: store(),
            clock,
            launcher: launcher(),
            metrics: metrics(),
            controlTopic: config.QUEUE_CONTROL_TOPIC,
            eventsTopic: config.QUEUE_EVENTS_TOPIC,
            ...(config.STREAMFORGE_IMAGE ? { image: config.STREAMFORGE_IMAGE } : {}),
            stallTimeoutMs: config.STALL_TIMEOUT_MS,
            instanceId: config.STREAMFORGE_INSTANCE_ID ?? config.HOSTNAME ?? `manager-${randomBytes(4).toString('hex')}`,
            ownershipLeaseMs: config.OWNERSHIP_LEASE_MS,
            topicRetentionAfterFinishMs: config.TOPIC_RETENTION_AFTER_FINISH_MS,
            readiness: (ready) => (managerReady = ready),
            workflowSaved: (wf) => workflowChanges.saved(wf),
            stageSupervision,
          },
          ctx,
        ),
    });
  }

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    clock,
    policies,
    get metrics() {
      return metrics();
    },
    get bus() {
      return bus();
    },
    get store() {
      return store();
    },
    get http() {
      return http();
    },
    get stageDeps() {
      return stageDeps();
    },
    get objects() {
      return objects();
    },
    get host() {
      return host();
    },
    get launcher() {
      return launcher();
    },
    manager,
    managerReady: () => managerReady,
    workflowChanges,
    notReady() {
      if (manager !== undefined && !managerReady) return 'manager not running';
      const down = bus.built() ? bus().downGroups() : [];
      return down.length > 0 ? `consumer down: ${down.join(', ')}` : undefined;
    },
    close() {
      closing ??= (async () => {
        // The actors stop before the bus and store they use close.
        for (const part of [launcher, host, bus, store, objects, http]) await part.close();
        logger.flush();
      })();
      return closing;
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
