import type { V1Container, V1EnvVar, V1Job, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import { stageAssignment } from '../config/index.ts';
import type { StartCommand } from '../../protocol/index.ts';
import type { StageRole, StageSpec } from '../../actors/index.ts';
import { jobName, labelValue } from './job-names.ts';

/** Label keys on launched Jobs and their pods. NetworkPolicies, the PodMonitor and the admission policy select on the `app.kubernetes.io/*` ones. */
export const JobLabels = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  /** The queue id, or a hashed prefix of it when it is not a valid label value: the full id is in the annotation of the same key. */
  queueId: 'streamforge.io/queue-id',
  role: 'streamforge.io/role',
  attempt: 'streamforge.io/attempt',
  /** On pods only: the Job they belong to, so the launcher can watch them without relying on the Job controller's labels. */
  job: 'streamforge.io/job',
} as const;

export const JobAnnotations = {
  queueId: 'streamforge.io/queue-id',
  telemetryId: 'streamforge.io/telemetry-id',
} as const;

export const MANAGED_BY = 'streamforge-manager';
export const CONTAINER_NAME = 'streamforge';
const HTTP_PORT = 8080;
const UID = 10001;

/** Where a credential comes from: a key of a Secret. */
export interface SecretKeyRef {
  readonly secretName: string;
  readonly key: string;
}

export interface JobResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/** What the Jobs of one role get on top of (or instead of) the shared settings. */
export interface RoleJobSettings {
  /** Replaces `resources` for this role's Jobs. */
  readonly resources?: JobResources;
  /** Credentials this role needs besides `secretEnv` (no other role gets them). */
  readonly secretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /** Replaces `kafkaUser` for this role's Jobs. */
  readonly kafkaUser?: string;
}

/** Everything a launched Job depends on besides the stage itself. */
export interface JobSettings {
  /** STREAMFORGE_IMAGE: the only image a Job runs, whatever the start command says. */
  readonly image: string;
  readonly namespace: string;
  /** @defaultValue 'Always' */
  readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** @defaultValue 'streamforge-worker' (k8s/base/rbac.yaml: no role, no token) */
  readonly serviceAccountName: string;
  /** Non-secret settings, passed whole with `envFrom`. @defaultValue 'streamforge-config' */
  readonly configMapName: string;
  /** Credentials as `secretKeyRef` env, by variable name. @defaultValue {@link DEFAULT_SECRET_ENV} */
  readonly secretEnv: Readonly<Record<string, SecretKeyRef>>;
  /**
   * The Kafka user (Strimzi KafkaUser) of Jobs whose role names none: `KAFKA_USER`, and
   * `KAFKA_PASSWORD` from the Secret Strimzi writes under the same name. Each role gets only its
   * own (k8s/base/kafka/kafka-users.yaml); never the manager's, which alone may write `queue-control`.
   * @defaultValue 'streamforge-stage' (commands in, telemetry out; loaders and connectors have their own)
   */
  readonly kafkaUser: string;
  /** Secret holding the Kafka cluster CA (`ca.crt`), mounted where the ConfigMap's CA_PATH points; null for none. @defaultValue 'streamforge-cluster-ca-cert' */
  readonly kafkaCaSecretName: string | null;
  /** @defaultValue requests 100m / 128Mi, limits 1 / 512Mi */
  readonly resources: JobResources;
  /** Per-role settings, by role name. @defaultValue the trainer: {@link DEFAULT_TRAINER_JOB_SETTINGS} */
  readonly roles: Readonly<Record<string, RoleJobSettings>>;
  /** A stage running longer than this fails and is relaunched by supervision (from its cursor). @defaultValue 86400 */
  readonly activeDeadlineSeconds: number;
  /** Finished Jobs (and their pods' logs) are kept this long. @defaultValue 86400 */
  readonly ttlSecondsAfterFinished: number;
  /** @defaultValue '1Gi' */
  readonly dataSizeLimit: string;
  /** @defaultValue '256Mi' */
  readonly tmpSizeLimit: string;
}

/** The credentials every stage pod needs besides its Kafka user's (docs/deploying.md, Secrets). */
export const DEFAULT_SECRET_ENV: Readonly<Record<string, SecretKeyRef>> = Object.freeze({
  ARANGO_PASSWORD: Object.freeze({ secretName: 'streamforge-arango', key: 'password' }),
});

/** Loaders write market data and telemetry, connectors read it and write dead letters: a Kafka user each. */
export const DEFAULT_LOADER_JOB_SETTINGS: RoleJobSettings = Object.freeze({ kafkaUser: 'streamforge-loader' });
export const DEFAULT_CONNECTOR_JOB_SETTINGS: RoleJobSettings = Object.freeze({ kafkaUser: 'streamforge-connector' });

/**
 * Trainers fit models in memory and write them to the object store: more memory than the other
 * stages (K8S_TRAINER_* in configuration), and the MinIO keys, which no other Job gets.
 */
export const DEFAULT_TRAINER_JOB_SETTINGS: RoleJobSettings = Object.freeze({
  resources: Object.freeze({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } }),
  secretEnv: Object.freeze({
    MINIO_ACCESS_KEY: Object.freeze({ secretName: 'streamforge-minio', key: 'access-key' }),
    MINIO_SECRET_KEY: Object.freeze({ secretName: 'streamforge-minio', key: 'secret-key' }),
  }),
});

export const DEFAULT_JOB_SETTINGS: Omit<JobSettings, 'image' | 'namespace'> = Object.freeze({
  imagePullPolicy: 'Always',
  serviceAccountName: 'streamforge-worker',
  configMapName: 'streamforge-config',
  secretEnv: DEFAULT_SECRET_ENV,
  kafkaUser: 'streamforge-stage',
  kafkaCaSecretName: 'streamforge-cluster-ca-cert',
  resources: Object.freeze({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } }),
  roles: Object.freeze({ loader: DEFAULT_LOADER_JOB_SETTINGS, connector: DEFAULT_CONNECTOR_JOB_SETTINGS, trainer: DEFAULT_TRAINER_JOB_SETTINGS }),
  activeDeadlineSeconds: 86_400,
  ttlSecondsAfterFinished: 86_400,
  dataSizeLimit: '1Gi',
  tmpSizeLimit: '256Mi',
});

/** Variables a Job sets itself: the stage's assignment and what must match the pod spec. Settings may not override them. */
export const ASSIGNMENT_ENV = ['ROLE', 'QUEUE_ID', 'SYMBOL', 'TYPE', 'TIME_RANGE', 'INTERVAL', 'SYMBOLS', 'GNN_PARAMS', 'KAFKA_TOPIC', 'COLLECTION_NAME', 'TELEMETRY_PRODUCER_ID', 'PORT', 'K8S_NAMESPACE'] as const;

/** The contract's assignment variables for one stage, as literal env values (nothing secret in them). */
export function assignmentEnv(role: StageRole, command: StartCommand): V1EnvVar[] {
  return Object.entries(stageAssignment(role, command)).map(([name, value]) => ({ name, value }));
}

/** Labels that find every Job of one stage of one workflow. */
export function stageSelector(spec: StageSpec): Record<string, string> {
  return {
    [JobLabels.managedBy]: MANAGED_BY,
    [JobLabels.queueId]: labelValue(spec.command.queue_id),
    [JobLabels.role]: spec.role,
  };
}

/**
 * The Job for one attempt of one stage: a pure function of the stage, the attempt and the settings.
 * The image is `settings.image`, never the start command's `image`. Credentials appear only as
 * `secretKeyRef`; everything else non-secret comes from the ConfigMap by reference.
 */
export function jobManifest(spec: StageSpec, attempt: number, settings: JobSettings): V1Job {
  const { role, command } = spec;
  const name = jobName(role, command.symbol, command.queue_id, attempt);
  const labels = {
    [JobLabels.name]: 'streamforge',
    [JobLabels.component]: role,
    [JobLabels.partOf]: 'streamforge',
    ...stageSelector(spec),
    [JobLabels.attempt]: String(attempt),
  };
  const annotations = { [JobAnnotations.queueId]: command.queue_id, [JobAnnotations.telemetryId]: command.telemetry_id };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: settings.namespace, labels, annotations },
    spec: {
      // Supervision relaunches a failed stage (as a new Job): the Job itself never retries.
      backoffLimit: 0,
      activeDeadlineSeconds: settings.activeDeadlineSeconds,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      podFailurePolicy: {
        rules: [
          // Evictions, preemption, node drains: the Job makes a new pod without counting a failure.
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'FailJob', onExitCodes: { containerName: CONTAINER_NAME, operator: 'NotIn', values: [0] } },
        ],
      },
      template: {
        metadata: { labels: { ...labels, [JobLabels.job]: name }, annotations },
        spec: podSpec(role, command, settings),
      },
    },
  };
}

function podSpec(role: StageRole, command: StartCommand, settings: JobSettings): V1PodSpec {
  const volumes: V1Volume[] = [
    { name: 'data', emptyDir: { sizeLimit: settings.dataSizeLimit } },
    { name: 'tmp', emptyDir: { sizeLimit: settings.tmpSizeLimit } },
  ];
  if (settings.kafkaCaSecretName !== null) {
    volumes.push({ name: 'kafka-ca', secret: { secretName: settings.kafkaCaSecretName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
  }
  return {
    restartPolicy: 'Never', // required by podFailurePolicy
    serviceAccountName: settings.serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [container(role, command, settings)],
    volumes,
  };
}

/** The resources of a role's Jobs: its own when it has them, else the shared ones. */
export function stageResources(role: string, settings: JobSettings): JobResources {
  return settings.roles[role]?.resources ?? settings.resources;
}

/** The Kafka user of a role's Jobs: its own when it has one, else the shared one. */
export function stageKafkaUser(role: string, settings: JobSettings): string {
  return settings.roles[role]?.kafkaUser ?? settings.kafkaUser;
}

/** The credentials of a role's Jobs: its Kafka user's password, the shared ones, and its own. */
export function stageSecretEnv(role: string, settings: JobSettings): Readonly<Record<string, SecretKeyRef>> {
  return { KAFKA_PASSWORD: { secretName: stageKafkaUser(role, settings), key: 'password' }, ...settings.secretEnv, ...settings.roles[role]?.secretEnv };
}

function container(role: StageRole, command: StartCommand, settings: JobSettings): V1Container {
  const resources = stageResources(role, settings);
  const secretEnv: V1EnvVar[] = Object.entries(stageSecretEnv(role, settings)).map(([name, ref]) => ({
    name,
    valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
  }));
  return {
    name: CONTAINER_NAME,
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy,
    args: ['serve', '--role', role],
    ports: [{ name: 'http', containerPort: HTTP_PORT }],
    envFrom: [{ configMapRef: { name: settings.configMapName } }],
    env: [
      ...assignmentEnv(role, command),
      { name: 'PORT', value: String(HTTP_PORT) }, // must match the port and probes, whatever the ConfigMap says
      { name: 'K8S_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      // A name, not a secret; its password comes by secretKeyRef below.
      { name: 'KAFKA_USER', value: stageKafkaUser(role, settings) },
      ...secretEnv,
    ],
    startupProbe: { httpGet: { path: '/health/startup', port: 'http' }, periodSeconds: 2, failureThreshold: 60 },
    livenessProbe: { httpGet: { path: '/health/live', port: 'http' } },
    readinessProbe: { httpGet: { path: '/health/ready', port: 'http' } },
    resources: {
      requests: { cpu: resources.requests.cpu, memory: resources.requests.memory },
      limits: { cpu: resources.limits.cpu, memory: resources.limits.memory },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: UID,
      runAsGroup: UID,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: 'data', mountPath: '/data' },
      { name: 'tmp', mountPath: '/tmp' },
      ...(settings.kafkaCaSecretName !== null ? [{ name: 'kafka-ca', mountPath: '/etc/streamforge/kafka-ca', readOnly: true }] : []),
    ],
  };
}
