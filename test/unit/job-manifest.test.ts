import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { ConfigError, StartCommand } from '../../src/protocol/index.ts';
import type { StageRole, StageSpec } from '../../src/actors/index.ts';
import {
  DEFAULT_JOB_SETTINGS,
  isDns1123Label,
  isLabelValue,
  jobManifest,
  jobName,
  JobAnnotations,
  JobLabels,
  KubernetesLauncher,
  labelValue,
  resolveJobSettings,
} from '../../src/system/launcher/index.ts';
import type { JobSettings } from '../../src/system/launcher/index.ts';
import { systemClock } from '../../src/system/observability/index.ts';
import { defaultPolicies } from '../helpers/stage-settings.ts';

const IMAGE = 'registry.example/streamforge:0.2.0';
const settings: JobSettings = { ...DEFAULT_JOB_SETTINGS, image: IMAGE, namespace: 'streamforge' };
const ASSIGNMENT = ['ROLE', 'QUEUE_ID', 'SYMBOL', 'TYPE', 'TIME_RANGE', 'INTERVAL', 'KAFKA_TOPIC', 'COLLECTION_NAME', 'TELEMETRY_PRODUCER_ID', 'PORT'];
const CREDENTIAL = /(PASSWORD|SECRET|TOKEN|SECRET_KEY|ACCESS_KEY)$/;

function spec(role: StageRole, overrides: Partial<StartCommand> = {}): StageSpec {
  const queue_id = overrides.queue_id ?? 'wf-btcusdt-api_candles_5m-20240801-a1b2c3';
  const command = StartCommand.parse({
    command: 'start',
    queue_id,
    target: role === 'loader' ? 'loader-producer' : 'arango-connector',
    symbol: 'BTCUSDT',
    type: 'api_candles_5m',
    time_range: '2024-08-01:2024-08-02',
    kafka_topic: `${queue_id}-data`,
    collection_name: 'btcusdt_api_candles_5m_2024_08_01',
    telemetry_id: `${role}__a1b2c3`,
    timestamp: 1722500000.123,
    ...overrides,
  });
  return { role, command };
}

function env(job: V1Job): V1EnvVar[] {
  return job.spec?.template.spec?.containers[0]?.env ?? [];
}

describe('Job names', () => {
  it('are DNS-1123 labels of at most 63 characters, whatever the symbol and queue id', () => {
    const symbols = ['BTCUSDT', '1000SHIBUSDT', 'BTC/USDT', '___', 'x'.repeat(300), 'ÉTHÜSDT', '-lead-and-trail-'];
    const queueIds = ['wf-btcusdt-api_candles_5m-20240801-a1b2c3', `wf-${'y'.repeat(400)}`, 'WF With Spaces/and:colons'];
    for (const role of ['loader', 'connector'] as const) {
      for (const symbol of symbols) {
        for (const q of queueIds) {
          for (const attempt of [0, 1, 42, 123_456_789]) {
            const name = jobName(role, symbol, q, attempt);
            assert.ok(isDns1123Label(name), `${name} (${name.length} chars) for ${symbol} / ${q}`);
            assert.ok(name.startsWith(`sf-${role}-`), name);
            assert.ok(name.endsWith(`-${attempt}`), name);
          }
        }
      }
    }
  });

  it('are deterministic, and differ between workflows of the same symbol and between attempts', () => {
    const a = jobName('loader', 'BTCUSDT', 'wf-btcusdt-api_candles_5m-20240801-a1b2c3', 1);
    assert.equal(a, jobName('loader', 'BTCUSDT', 'wf-btcusdt-api_candles_5m-20240801-a1b2c3', 1));
    assert.notEqual(a, jobName('loader', 'BTCUSDT', 'wf-btcusdt-api_candles_5m-20240801-d4e5f6', 1));
    assert.notEqual(a, jobName('loader', 'BTCUSDT', 'wf-btcusdt-api_candles_5m-20240801-a1b2c3', 2));
    assert.notEqual(a, jobName('connector', 'BTCUSDT', 'wf-btcusdt-api_candles_5m-20240801-a1b2c3', 1));
    assert.match(a, /^sf-loader-btcusdt-[0-9a-f]{8}-1$/);
  });

  it('keep a valid queue id as the label value, and hash long or odd ones into a valid one', () => {
    const short = 'wf-btcusdt-api_candles_5m-20240801-a1b2c3';
    assert.equal(labelValue(short), short);
    const long = `wf-${'a'.repeat(80)}-api_candles_5m-20240801-a1b2c3`;
    const other = `wf-${'a'.repeat(80)}-api_candles_5m-20240801-d4e5f6`;
    for (const v of [long, other, 'has spaces and / slashes', '-starts-with-dash', '_']) {
      assert.ok(isLabelValue(labelValue(v)), `${labelValue(v)} for ${v}`);
      assert.equal(labelValue(v), labelValue(v));
    }
    assert.notEqual(labelValue(long), labelValue(other), 'ids sharing a 53-character prefix still get distinct labels');
  });
});

describe('jobManifest', () => {
  for (const role of ['loader', 'connector'] as const) {
    it(`builds the ${role} Job: labels, image, args, namespace, retries left to supervision`, () => {
      const job = jobManifest(spec(role), 3, settings);
      const labels = job.metadata?.labels ?? {};
      const podLabels = job.spec?.template.metadata?.labels ?? {};
      for (const l of [labels, podLabels]) {
        assert.equal(l[JobLabels.name], 'streamforge');
        assert.equal(l[JobLabels.component], role);
        assert.equal(l[JobLabels.partOf], 'streamforge');
        assert.equal(l[JobLabels.managedBy], 'streamforge-manager');
        assert.equal(l[JobLabels.queueId], 'wf-btcusdt-api_candles_5m-20240801-a1b2c3');
        assert.equal(l[JobLabels.role], role);
        assert.equal(l[JobLabels.attempt], '3');
      }
      assert.equal(podLabels[JobLabels.job], job.metadata?.name);
      assert.equal(job.metadata?.namespace, 'streamforge');
      assert.equal(job.metadata?.name, jobName(role, 'BTCUSDT', 'wf-btcusdt-api_candles_5m-20240801-a1b2c3', 3));
      const c = job.spec?.template.spec?.containers[0];
      assert.equal(c?.image, IMAGE);
      assert.deepEqual(c?.args, ['serve', '--role', role]);
      assert.equal(job.spec?.backoffLimit, 0);
      assert.equal(job.spec?.activeDeadlineSeconds, DEFAULT_JOB_SETTINGS.activeDeadlineSeconds);
      assert.equal(job.spec?.ttlSecondsAfterFinished, DEFAULT_JOB_SETTINGS.ttlSecondsAfterFinished);
      assert.equal(job.spec?.template.spec?.restartPolicy, 'Never');
      const rules = job.spec?.podFailurePolicy?.rules ?? [];
      assert.deepEqual(rules.map((r) => r.action), ['Ignore', 'FailJob']);
      assert.equal(rules[0]?.onPodConditions?.[0]?.type, 'DisruptionTarget');
      assert.deepEqual(rules[1]?.onExitCodes, { containerName: 'streamforge', operator: 'NotIn', values: [0] });
      assert.deepEqual(c?.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } });
      assert.deepEqual(c?.ports, [{ name: 'http', containerPort: 8080 }]);
    });
  }

  it('runs the configured image even when the start command names another one', () => {
    const job = jobManifest(spec('loader', { image: 'evil.example/miner:latest' }), 1, settings);
    assert.equal(job.spec?.template.spec?.containers[0]?.image, IMAGE);
    assert.ok(!JSON.stringify(job).includes('evil.example'));
  });

  it('passes settings by ConfigMap, credentials only by secretKeyRef, and only the assignment as literals', () => {
    const job = jobManifest(spec('connector'), 1, settings);
    const c = job.spec?.template.spec?.containers[0];
    assert.deepEqual(c?.envFrom, [{ configMapRef: { name: 'streamforge-config' } }]);
    const vars = env(job);
    const literal = vars.filter((e) => e.value !== undefined).map((e) => e.name);
    assert.deepEqual(literal.sort(), [...ASSIGNMENT, 'KAFKA_USER'].sort(), 'only the assignment, PORT and the Kafka user name are literal values');
    for (const e of vars) {
      assert.notEqual(e.name, 'STREAMFORGE_API_TOKEN');
      if (CREDENTIAL.test(e.name)) {
        assert.equal(e.value, undefined, `${e.name} has no literal value`);
        assert.ok(e.valueFrom?.secretKeyRef, `${e.name} comes from a secretKeyRef`);
      }
    }
    const byName = new Map(vars.map((e) => [e.name, e]));
    assert.deepEqual(byName.get('KAFKA_PASSWORD')?.valueFrom, { secretKeyRef: { name: 'streamforge-connector', key: 'password' } });
    assert.deepEqual(byName.get('ARANGO_PASSWORD')?.valueFrom, { secretKeyRef: { name: 'streamforge-arango', key: 'password' } });
    assert.equal(byName.get('INTERVAL')?.value, '5m');
    assert.equal(byName.get('KAFKA_TOPIC')?.value, 'wf-btcusdt-api_candles_5m-20240801-a1b2c3-data');
    assert.deepEqual(byName.get('K8S_NAMESPACE')?.valueFrom, { fieldRef: { fieldPath: 'metadata.namespace' } });
  });

  it('runs restricted: non-root uid 10001, read-only root, no escalation, no capabilities, RuntimeDefault seccomp, emptyDir for /data and /tmp', () => {
    const pod = jobManifest(spec('loader'), 1, settings).spec?.template.spec;
    assert.equal(pod?.serviceAccountName, 'streamforge-worker');
    assert.equal(pod?.automountServiceAccountToken, false);
    assert.deepEqual(pod?.securityContext, { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod?.containers[0];
    assert.equal(c?.securityContext?.runAsNonRoot, true);
    assert.equal(c?.securityContext?.runAsUser, 10001);
    assert.equal(c?.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c?.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c?.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal(c?.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    const mounts = new Map((c?.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    const volumes = new Map((pod?.volumes ?? []).map((v) => [v.name, v]));
    for (const path of ['/data', '/tmp']) {
      const volume = volumes.get(mounts.get(path) ?? '');
      assert.ok(volume?.emptyDir, `${path} is an emptyDir`);
    }
    assert.ok(![...volumes.values()].some((v) => v.hostPath));
  });

  it('labels a long queue id with a hashed value and keeps the full id in an annotation', () => {
    const q = `wf-${'verylongsymbolname'.repeat(5)}-api_candles_5m-20240801-a1b2c3`;
    const job = jobManifest(spec('connector', { queue_id: q, symbol: 'VERYLONGSYMBOLNAME'.repeat(5) }), 12, settings);
    assert.ok(isDns1123Label(job.metadata?.name ?? ''));
    const label = job.metadata?.labels?.[JobLabels.queueId] ?? '';
    assert.ok(isLabelValue(label) && label !== q);
    assert.equal(job.metadata?.annotations?.[JobAnnotations.queueId], q);
    assert.equal(env(job).find((e) => e.name === 'QUEUE_ID')?.value, q);
  });
});

describe('Job settings', () => {
  it('refuses to start without STREAMFORGE_IMAGE', () => {
    assert.throws(() => new KubernetesLauncher({ image: undefined, namespace: 'streamforge', clock: systemClock, policies: defaultPolicies }), (err: unknown) => err instanceof ConfigError && /STREAMFORGE_IMAGE is required/.test(err.message));
    assert.throws(() => resolveJobSettings({ image: '  ', namespace: 'streamforge' }), ConfigError);
  });

  it('reports every violation at once: floating image, bad namespace, bad quantity, the API token as a secret', () => {
    assert.throws(
      () =>
        resolveJobSettings({
          image: 'registry.example/streamforge:latest',
          namespace: 'Not_A_Namespace',
          overrides: {
            resources: { requests: { cpu: 'lots', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
            secretEnv: { STREAMFORGE_API_TOKEN: { secretName: 'streamforge-api', key: 'token' }, QUEUE_ID: { secretName: 's', key: 'k' } },
          },
        }),
      (err: unknown) =>
        err instanceof ConfigError &&
        ['fixed tag', 'K8S_NAMESPACE', 'cpu request', 'STREAMFORGE_API_TOKEN must never', 'QUEUE_ID is set by the launcher'].every((part) => err.message.includes(part)),
    );
  });

  it('accepts a digest or a tag, and overrides', () => {
    const s = resolveJobSettings({ image: 'registry.example:5000/streamforge@sha256:abc', namespace: 'sf', overrides: { activeDeadlineSeconds: 60, kafkaCaSecretName: null } });
    assert.equal(s.activeDeadlineSeconds, 60);
    const job = jobManifest(spec('loader'), 1, s);
    assert.ok(!(job.spec?.template.spec?.volumes ?? []).some((v) => v.name === 'kafka-ca'));
    assert.throws(() => resolveJobSettings({ image: 'registry.example:5000/streamforge', namespace: 'sf' }), ConfigError);
  });
});
