import { z } from 'zod';
import { ModelBackendNames } from '../../actors/ports/model-backend.ts';
import { StageRoles } from '../../actors/ports/launcher.ts';
import type { Launcher } from '../../actors/ports/launcher.ts';
import { ConfigError } from '../../protocol/index.ts';
import { parseS3Endpoint, S3_ENDPOINT_FORMS } from './s3-endpoint.ts';
import type { BackoffPolicy, StageRetryPolicies, SupervisionPolicy } from '../../actors/index.ts';

/**
 * What `serve --role` runs: the manager and its stages together (`all`), the manager alone, one
 * stage of one workflow (each of the launcher's {@link StageRoles}: what the process and Kubernetes
 * launchers start), or the diagnostic `dummy`. The one list the configuration, `serve --help` and
 * the launchers derive from.
 */
export const Roles = ['all', 'manager', ...StageRoles, 'dummy'] as const;
export type Role = (typeof Roles)[number];

/** How the manager runs stages: in this process, as processes of this CLI, or as Kubernetes Jobs. */
export const LauncherKinds = ['inprocess', 'process', 'kubernetes'] as const satisfies ReadonlyArray<Launcher['kind']>;

export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LogLevels)[number];
export const LogFormats = ['auto', 'human', 'json'] as const;
export type LogFormat = (typeof LogFormats)[number];

/** Roles whose process hosts the manager (and serves the data and control API). */
export function hostsManager(role: Role): boolean {
  return role === 'all' || role === 'manager';
}

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Every environment variable StreamForge reads (the original's names kept), validated once. */
export const ConfigSchema = z.object({
  ROLE: z.enum(Roles).default('all'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  LOG_LEVEL: z.enum(LogLevels).default('info'),
  /**
   * `human`: one short line per entry (a retry says what, the attempt, and when the next try is);
   * `json`: pino's JSON lines, for log collectors. `auto` is human when stderr is a terminal, else JSON.
   * Stacks only at `debug` and `trace`, either way.
   */
  LOG_FORMAT: z.enum(LogFormats).default('auto'),
  STREAMFORGE_DATA_DIR: z.string().min(1).default('./data'),
  STREAMFORGE_LAUNCHER: z.enum(LauncherKinds).default('inprocess'),
  STREAMFORGE_API_TOKEN: optionalText,
  /** The address `serve` binds; anything but loopback needs the token for roles that serve the API. */
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** Lets `all`/`manager` bind beyond loopback without `STREAMFORGE_API_TOKEN` (an authenticating proxy in front). */
  STREAMFORGE_INSECURE_NO_AUTH: z.stringbool().default(false),
  /** Host names (comma-separated) requests may address besides the bound one and loopback. */
  HTTP_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '')),
  /** The largest request body accepted. */
  HTTP_BODY_LIMIT_BYTES: positiveInt(1_048_576),
  /** Time to receive a request's headers. */
  HTTP_HEADERS_TIMEOUT_MS: positiveInt(30_000),
  /** Time to receive a whole request (headers and body); answers may take longer (audits, streams). */
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(60_000),
  /** An idle keep-alive connection is closed after this long. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt(5_000),
  /** Connections served at once; more are refused. */
  HTTP_MAX_CONNECTIONS: positiveInt(1_024),
  /** Workflow creations (`POST /queues`, `/queues/start-pipeline`) per client and minute. */
  API_RATE_LIMIT_PER_MINUTE: positiveInt(60),
  /** Workflows not yet ended, at most; a creation beyond is refused. */
  MAX_ACTIVE_WORKFLOWS: positiveInt(100),
  /** Telemetry and workflow events `GET /events` keeps for reconnecting clients (`Last-Event-ID`). */
  EVENTS_REPLAY_SIZE: positiveInt(10_000),
  /** Event streams (`GET /events`) served at once; more are answered 503. */
  EVENTS_MAX_CLIENTS: positiveInt(64),
  /** A comment line on every event stream this often, so proxies keep idle streams open. */
  EVENTS_KEEPALIVE_MS: positiveInt(15_000),
  /** `/metrics` needs the API token too (when one is set). */
  METRICS_REQUIRE_TOKEN: z.stringbool().default(false),
  BINANCE_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.binance.com'),
  BINANCE_WS_URL: z.url({ protocol: /^wss?$/ }).default('wss://stream.binance.com:9443'),
  /** The public bulk archive (data.binance.vision layout). */
  BINANCE_ARCHIVE_URL: z.url({ protocol: /^https?$/ }).default('https://data.binance.vision'),
  /** Lets the exchange URLs above use plain `http`/`ws` to a host beyond loopback (a test exchange behind a trusted network). */
  STREAMFORGE_ALLOW_INSECURE_EXCHANGE: z.stringbool().default(false),
  /** The largest archive zip downloaded; a larger one counts as corrupt (REST or smaller files take over). Real zips are tens of MB. */
  ARCHIVE_MAX_DOWNLOAD_BYTES: positiveInt(256 * 1024 * 1024),
  /** The largest CSV an archive zip may unzip to; a larger one counts as corrupt. Real ones are a few hundred MB at most. */
  ARCHIVE_MAX_UNZIPPED_BYTES: positiveInt(1024 * 1024 * 1024),
  /** A live connection is replaced (overlapping) this long after it opened: Binance drops them at 24 h. */
  WS_ROTATE_MS: z.coerce.number().int().positive().max(86_340_000, { error: 'WS_ROTATE_MS must be below 24 h (Binance drops a connection at 24 h); at most 86340000' }).default(23 * 3_600_000),
  /** A live connection silent (no event, no ping) for this long is taken for dead and replaced. */
  WS_STALE_MS: z.coerce.number().int().positive().max(3_600_000).default(60_000),
  /** How often `ws_depth` stores its book's top levels. */
  BOOK_SNAPSHOT_INTERVAL_MS: positiveInt(60_000),
  /** Levels per side in a stored book snapshot. */
  BOOK_TOP_LEVELS: positiveInt(20),
  /** TensorFlow.js backend of the model trainer: `wasm` (bundled), `cpu` (pure JS) or `tensorflow` (needs `@tensorflow/tfjs-node` installed). */
  /** Model versions kept per universe (symbols and interval); older ones leave the registry and the object store. */
  MODEL_KEEP: positiveInt(10),
  TF_BACKEND: z.enum(ModelBackendNames).default('wasm'),
  /** Attempts for one exchange request on retriable failures (network, 5xx, 429). */
  EXCHANGE_MAX_ATTEMPTS: positiveInt(6),
  EXCHANGE_TIMEOUT_MS: positiveInt(10_000),
  /** Share of the advertised weight budget the loader may use per window. */
  EXCHANGE_WEIGHT_TARGET: z.coerce.number().gt(0).lte(1).default(0.97),
  QUEUE_CONTROL_TOPIC: z.string().min(1).default('queue-control'),
  QUEUE_EVENTS_TOPIC: z.string().min(1).default('queue-events'),
  KAFKA_BOOTSTRAP_SERVERS: optionalText,
  KAFKA_USER: optionalText,
  KAFKA_PASSWORD: optionalText,
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).default('scram-sha-512'),
  CA_PATH: optionalText,
  KAFKA_PARTITIONS: positiveInt(3),
  KAFKA_REPLICATION_FACTOR: positiveInt(1),
  /** How long creating a topic (or reading its metadata and offsets) waits through retriable broker errors. */
  KAFKA_TOPIC_READY_TIMEOUT_MS: positiveInt(30_000),
  /** A consumer silent this long leaves its group and its partitions go to another (Kafka's `session.timeout.ms`; the broker allows 6000 and up by default): how soon a killed stage's replacement consumes. */
  KAFKA_SESSION_TIMEOUT_MS: positiveInt(30_000),
  /** How often a consumer tells its group it is alive (Kafka's `heartbeat.interval.ms`, a third of the session timeout or less). */
  KAFKA_HEARTBEAT_INTERVAL_MS: positiveInt(3_000),
  ARANGO_URL: optionalText,
  ARANGO_DB: z.string().min(1).default('streamforge'),
  ARANGO_USER: z.string().min(1).default('root'),
  ARANGO_PASSWORD: optionalText,
  /** Models go to this S3 server (MinIO, S3Proxy, AWS) when set; to STREAMFORGE_DATA_DIR/models otherwise. */
  MINIO_ENDPOINT: optionalText.refine((v) => v === undefined || typeof parseS3Endpoint(v, undefined) !== 'string', {
    error: `MINIO_ENDPOINT must be ${S3_ENDPOINT_FORMS}`,
  }),
  MINIO_ACCESS_KEY: optionalText,
  MINIO_SECRET_KEY: optionalText,
  MINIO_BUCKET_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'MINIO_BUCKET_NAME must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens' })
    .default('streamforge-models'),
  /** HTTPS for the `host:port` form of MINIO_ENDPOINT (a URL says it with its scheme). */
  MINIO_SECURE: z.stringbool().optional(),
  MINIO_REGION: optionalText,
  /** Attempts for one object-store call on retriable failures (server down, 5xx, timeouts, SlowDown). */
  MINIO_MAX_ATTEMPTS: positiveInt(5),
  /** A call whose connection stays silent this long fails (retriably). */
  MINIO_TIMEOUT_MS: positiveInt(30_000),
  CONNECTOR_BATCH_SIZE: positiveInt(2000),
  /** Connectors are served by the connector pool (a Deployment of `ROLE=connector` without assignment), not launched per workflow. */
  CONNECTOR_POOL: z.stringbool().default(false),
  CONNECTOR_POOL_POLL_MS: positiveInt(2000),
  /** Slices of a range one loader pages concurrently (each by the last open time returned). */
  LOADER_CONCURRENCY: positiveInt(4),
  /** How often embedded-bus consumers look for messages other processes wrote. */
  STREAMFORGE_BUS_POLL_MS: positiveInt(50),
  /** The embedded bus removes messages older than this, read or not (Kafka's `retention.ms`); 0 keeps them all. */
  STREAMFORGE_BUS_RETENTION_MS: z.coerce.number().int().min(0).default(7 * 86_400_000),
  /** How often the embedded bus applies its retention. */
  STREAMFORGE_BUS_RETENTION_CHECK_MS: positiveInt(300_000),
  /** When the embedded bus and store wait for the disk: `normal` at WAL checkpoints (survives a process crash), `full` at every commit (survives a power loss too). */
  STREAMFORGE_SQLITE_SYNCHRONOUS: z.enum(['normal', 'full']).default('normal'),
  STALL_TIMEOUT_MS: positiveInt(120_000),
  K8S_NAMESPACE: z.string().default('streamforge'),
  /** This manager's name among several (defaults to HOSTNAME: the pod name on Kubernetes). */
  STREAMFORGE_INSTANCE_ID: optionalText,
  HOSTNAME: optionalText,
  /** A workflow whose manager has not renewed its claim for this long is adopted by another manager. */
  OWNERSHIP_LEASE_MS: positiveInt(30_000),
  /** A finished workflow's own topics (`<queue_id>-data`, `…-graph-features`, their dead letters) and consumer groups are deleted this long after it ended; 0 at once. */
  TOPIC_RETENTION_AFTER_FINISH_MS: z.coerce.number().int().min(0).default(86_400_000),
  K8S_JOB_CPU_REQUEST: z.string().default('100m'),
  K8S_JOB_MEMORY_REQUEST: z.string().default('128Mi'),
  K8S_JOB_CPU_LIMIT: z.string().default('1'),
  K8S_JOB_MEMORY_LIMIT: z.string().default('512Mi'),
  K8S_JOB_ACTIVE_DEADLINE_SECONDS: positiveInt(86_400),
  K8S_JOB_TTL_SECONDS_AFTER_FINISHED: positiveInt(86_400),
  /** Trainer Jobs fit models in memory: they get their own, larger resources. */
  K8S_TRAINER_CPU_REQUEST: z.string().default('500m'),
  K8S_TRAINER_MEMORY_REQUEST: z.string().default('1Gi'),
  K8S_TRAINER_CPU_LIMIT: z.string().default('2'),
  K8S_TRAINER_MEMORY_LIMIT: z.string().default('4Gi'),
  K8S_JOB_IMAGE_PULL_POLICY: z.enum(['Always', 'IfNotPresent', 'Never']).default('Always'),
  /** A Job whose pod waits (image pull, crash loop) longer than this counts as failed. */
  K8S_JOB_STUCK_POD_TIMEOUT_MS: positiveInt(120_000),
  STREAMFORGE_IMAGE: optionalText,
  // A worker's assignment, set by the launcher as the original's Jobs had it.
  QUEUE_ID: optionalText,
  /** The launch of this stage (its start command's `generation`), stamped on its telemetry. */
  STAGE_GENERATION: z.coerce.number().int().nonnegative().optional(),
  SYMBOL: optionalText,
  TYPE: optionalText,
  TIME_RANGE: optionalText,
  KAFKA_TOPIC: optionalText,
  COLLECTION_NAME: optionalText,
  TELEMETRY_PRODUCER_ID: optionalText,
  /** Graph stages: their universe (as the original's INTERVAL names the interval) and every setting, as JSON. */
  SYMBOLS: optionalText,
  GNN_PARAMS: optionalText,
}).superRefine((c, ctx) => {
  if (c.MINIO_ENDPOINT === undefined) return;
  for (const key of ['MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'] as const) {
    if (c[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is required with MINIO_ENDPOINT` });
  }
  const endpoint = parseS3Endpoint(c.MINIO_ENDPOINT, c.MINIO_SECURE);
  if (typeof endpoint === 'string') ctx.addIssue({ code: 'custom', path: ['MINIO_SECURE'], message: endpoint });
});
export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Exchange URLs and the secure scheme each must use beyond loopback. */
const EXCHANGE_URLS = [
  ['BINANCE_API_URL', 'https'],
  ['BINANCE_WS_URL', 'wss'],
  ['BINANCE_ARCHIVE_URL', 'https'],
] as const;

/** `localhost`, 127.0.0.0/8 and `[::1]`: traffic that never leaves the machine. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Rules across settings, checked with the rest (every violation reported at once). */
const ConfigRules = ConfigSchema.superRefine((c, ctx) => {
  if (!c.STREAMFORGE_ALLOW_INSECURE_EXCHANGE) {
    for (const [key, secure] of EXCHANGE_URLS) {
      const url = new URL(c[key]);
      if (url.protocol !== `${secure}:` && !isLoopbackHost(url.hostname)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} must use ${secure}:// (got ${url.protocol}//${url.host}); plain ${url.protocol.slice(0, -1)} is accepted only to loopback (localhost, 127.0.0.1, [::1]) or with STREAMFORGE_ALLOW_INSECURE_EXCHANGE=true`,
        });
      }
    }
  }
  if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_HEADERS_TIMEOUT_MS'],
      message: `HTTP_HEADERS_TIMEOUT_MS (${c.HTTP_HEADERS_TIMEOUT_MS}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${c.HTTP_REQUEST_TIMEOUT_MS}): the headers are part of the request`,
    });
  }
});

/**
 * What one-shot CLI commands (everything but `serve`) default to where `serve` defaults otherwise:
 * they print their result, so only warnings and errors are logged unless `LOG_LEVEL` says more.
 */
export const ONE_SHOT_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({ LOG_LEVEL: 'warn' });

/**
 * Parses the environment (plus CLI overrides) once; every violation is reported in one message.
 * Only this module reads `process.env`.
 */
export function loadConfig(
  overrides: Readonly<Record<string, string | undefined>> = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
  defaults: Readonly<Record<string, string>> = {},
): Config {
  const merged: Record<string, string | undefined> = { ...defaults, ...env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  const parsed = ConfigRules.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return Object.freeze(parsed.data);
}

/**
 * Every retry and restart policy of the system, named by its user: the one place with their
 * defaults (what each one is for is said where it is declared: the stages' in {@link StageRetryPolicies}).
 * Only the exchange's attempts come from the environment (`EXCHANGE_MAX_ATTEMPTS`); the rest are the
 * system's design, tuned here.
 */
export interface RetryPolicies extends StageRetryPolicies {
  /** Any actor whose spawn names no policy of its own. */
  readonly actorRestart: SupervisionPolicy;
  /** Each stage of a workflow (an actor, a process or a Job), and the relaunches of a stalled one. */
  readonly stageRestart: SupervisionPolicy;
  /** The manager: never gives up (a broker or database still starting); `/health/ready` says 503 meanwhile. */
  readonly managerRestart: SupervisionPolicy;
  /** A connector pool member (`serve --role connector` without an assignment): never gives up either, like the manager. */
  readonly connectorPoolRestart: SupervisionPolicy;
  /** A CLI's read of a workflow on a remote server (`--server`) that failed (the server restarting, a 5xx): 4 more tries. */
  readonly serverPoll: BackoffPolicy;
  /** Re-reading a Kubernetes Job after a failed read or a broken watch, until it works (or fails for good). */
  readonly jobResync: BackoffPolicy;
  /** Deleting a Kubernetes Job: 3 attempts, then it runs until its deadline. */
  readonly jobDelete: BackoffPolicy;
}

const ARCHIVE_DOWNLOAD_ATTEMPTS = 3;
const defaultRestarts: SupervisionPolicy = { maxRestarts: 5, windowMs: 60_000, initialBackoffMs: 100, maxBackoffMs: 10_000 };
const untilItWorks: SupervisionPolicy = { maxRestarts: Number.MAX_SAFE_INTEGER, windowMs: 60_000, initialBackoffMs: 500, maxBackoffMs: 10_000 };

/** The named policies for a configuration (see {@link RetryPolicies}); frozen. */
export function retryPolicies(config: Pick<Config, 'EXCHANGE_MAX_ATTEMPTS'>): RetryPolicies {
  const exchangeAttempts = config.EXCHANGE_MAX_ATTEMPTS;
  return deepFreeze({
    exchangeRequest: { baseMs: 250, capMs: 4_000, jitter: 'equal', budget: { retries: exchangeAttempts - 1 } },
    archiveDownload: { baseMs: 250, capMs: 4_000, jitter: 'equal', budget: { retries: Math.min(ARCHIVE_DOWNLOAD_ATTEMPTS, exchangeAttempts) - 1 } },
    streamReconnect: { baseMs: 250, capMs: 30_000, jitter: 'full' },
    streamSubscribe: { baseMs: 250, capMs: 30_000, jitter: 'full', budget: { retries: 2 } },
    depthSnapshot: { baseMs: 5_000, capMs: 60_000, jitter: 'equal' },
    liveRestFill: { baseMs: 5_000, capMs: 5_000, jitter: 'none' },
    liveGapFill: { baseMs: 250, capMs: 1_000, jitter: 'none', budget: { retries: 4 } },
    actorRestart: defaultRestarts,
    stageRestart: defaultRestarts,
    managerRestart: untilItWorks,
    connectorPoolRestart: untilItWorks,
    serverPoll: { baseMs: 500, capMs: 4_000, jitter: 'equal', budget: { retries: 4 } },
    jobResync: { baseMs: 250, capMs: 30_000, jitter: 'equal' },
    jobDelete: { baseMs: 400, capMs: 800, jitter: 'none', budget: { retries: 2 } },
  });
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  return Object.freeze(value);
}
