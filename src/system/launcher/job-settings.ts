import { ConfigError } from '../../protocol/index.ts';
import { ASSIGNMENT_ENV, DEFAULT_JOB_SETTINGS } from './job-manifest.ts';
import type { JobSettings, SecretKeyRef } from './job-manifest.ts';
import { isDns1123Label } from './job-names.ts';

/** What the composition root passes: the image and namespace from configuration, the rest optional. */
export interface JobSettingsInput {
  /** STREAMFORGE_IMAGE. Required: Jobs never run an image chosen by an API caller. */
  readonly image: string | undefined;
  /** K8S_NAMESPACE. */
  readonly namespace: string;
  readonly overrides?: Partial<Omit<JobSettings, 'image' | 'namespace'>> | undefined;
}

const QUANTITY = /^[0-9]+(?:\.[0-9]+)?(?:m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Merges defaults and checks everything a Job would be rejected for; every violation is reported in one ConfigError. */
export function resolveJobSettings(input: JobSettingsInput): JobSettings {
  const image = input.image?.trim() ?? '';
  // Roles merge by name: overriding the trainer's settings keeps the loader's and the connector's defaults.
  const roles = Object.freeze({ ...DEFAULT_JOB_SETTINGS.roles, ...input.overrides?.roles });
  const settings: JobSettings = Object.freeze({ ...DEFAULT_JOB_SETTINGS, ...input.overrides, roles, image, namespace: input.namespace });
  const problems = [...imageProblems(image), ...settingsProblems(settings)];
  if (problems.length > 0) {
    throw new ConfigError(`the Kubernetes launcher cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return settings;
}

function imageProblems(image: string): string[] {
  if (image === '') return ['STREAMFORGE_IMAGE is required with STREAMFORGE_LAUNCHER=kubernetes: it is the only image launched Jobs may run'];
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  if (/\s/.test(image)) return [`STREAMFORGE_IMAGE ${JSON.stringify(image)} contains whitespace`];
  if (!image.includes('@') && (!lastSegment.includes(':') || lastSegment.endsWith(':latest'))) {
    return [`STREAMFORGE_IMAGE ${JSON.stringify(image)} needs a fixed tag (not latest) or a digest`];
  }
  return [];
}

/** Every credential a Job may get: the shared ones and each role's own. */
function allSecretEnv(s: JobSettings): Array<[string, SecretKeyRef]> {
  return [...Object.entries(s.secretEnv), ...Object.values(s.roles).flatMap((r) => Object.entries(r.secretEnv ?? {}))];
}

function settingsProblems(s: JobSettings): string[] {
  const problems: string[] = [];
  if (!isDns1123Label(s.namespace)) problems.push(`K8S_NAMESPACE ${JSON.stringify(s.namespace)} is not a DNS-1123 label`);
  const names: Array<[string, string]> = [
    ['service account', s.serviceAccountName],
    ['ConfigMap', s.configMapName],
    ...(s.kafkaCaSecretName !== null ? [['Kafka CA Secret', s.kafkaCaSecretName] as [string, string]] : []),
    ...allSecretEnv(s).map(([env, ref]): [string, string] => [`Secret for ${env}`, ref.secretName]),
    ['Kafka user', s.kafkaUser],
    ...Object.entries(s.roles).flatMap(([role, r]): Array<[string, string]> => (r.kafkaUser === undefined ? [] : [[`${role} Kafka user`, r.kafkaUser]])),
  ];
  for (const [what, name] of names) {
    if (name.length > 253 || !DNS_1123_SUBDOMAIN.test(name)) problems.push(`${what} name ${JSON.stringify(name)} is not a DNS-1123 subdomain`);
  }
  for (const [env, ref] of allSecretEnv(s)) {
    if (!ENV_NAME.test(env)) problems.push(`${JSON.stringify(env)} is not an environment variable name`);
    if (env === 'STREAMFORGE_API_TOKEN') problems.push('STREAMFORGE_API_TOKEN must never reach a Job');
    if ((ASSIGNMENT_ENV as readonly string[]).includes(env)) problems.push(`${env} is set by the launcher and cannot come from a Secret`);
    if (env === 'KAFKA_PASSWORD') problems.push('KAFKA_PASSWORD comes from the Kafka user\'s own Secret: set kafkaUser instead');
    if (ref.key === '') problems.push(`the Secret key for ${env} is empty`);
  }
  const quantities: Array<[string, string]> = [
    ['cpu request', s.resources.requests.cpu],
    ['memory request', s.resources.requests.memory],
    ['cpu limit', s.resources.limits.cpu],
    ['memory limit', s.resources.limits.memory],
    ...Object.entries(s.roles).flatMap(([role, r]): Array<[string, string]> =>
      r.resources === undefined
        ? []
        : [
            [`${role} cpu request`, r.resources.requests.cpu],
            [`${role} memory request`, r.resources.requests.memory],
            [`${role} cpu limit`, r.resources.limits.cpu],
            [`${role} memory limit`, r.resources.limits.memory],
          ],
    ),
    ['/data size limit', s.dataSizeLimit],
    ['/tmp size limit', s.tmpSizeLimit],
  ];
  for (const [what, q] of quantities) if (!QUANTITY.test(q)) problems.push(`${what} ${JSON.stringify(q)} is not a Kubernetes quantity`);
  for (const [what, n] of [['activeDeadlineSeconds', s.activeDeadlineSeconds], ['ttlSecondsAfterFinished', s.ttlSecondsAfterFinished]] as const) {
    if (!Number.isSafeInteger(n) || n <= 0) problems.push(`${what} must be a positive integer, got ${n}`);
  }
  return problems;
}
