import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, StartCommand } from '../../src/protocol/index.ts';
import type { StageRole } from '../../src/actors/index.ts';
import { DEFAULT_JOB_SETTINGS, jobManifest, resolveJobSettings, stageKafkaUser, stageResources, stageSecretEnv } from '../../src/system/launcher/index.ts';

const settings = resolveJobSettings({ image: 'registry.example/streamforge:0.2.0', namespace: 'streamforge' });

function command(role: StageRole): StartCommand {
  return StartCommand.parse({
    command: 'start',
    queue_id: 'wf-btcusdt-api_candles_5m-20240801-a1b2c3',
    target: role === 'loader' ? 'loader-producer' : 'arango-connector',
    symbol: 'BTCUSDT',
    type: 'api_candles_5m',
    time_range: '2024-08-01:2024-08-02',
    kafka_topic: 'wf-btcusdt-api_candles_5m-20240801-a1b2c3-data',
    collection_name: 'btcusdt_api_candles_5m_2024_08_01',
    telemetry_id: `${role}__a1b2c3`,
    timestamp: 1722500000.123,
  });
}

describe('per-role Job settings', () => {
  it('give trainers more memory and the MinIO keys, by secretKeyRef, on top of the shared credentials', () => {
    assert.deepEqual(stageResources('trainer', settings), { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } });
    assert.deepEqual(stageSecretEnv('trainer', settings), {
      KAFKA_PASSWORD: { secretName: 'streamforge-stage', key: 'password' },
      ARANGO_PASSWORD: { secretName: 'streamforge-arango', key: 'password' },
      MINIO_ACCESS_KEY: { secretName: 'streamforge-minio', key: 'access-key' },
      MINIO_SECRET_KEY: { secretName: 'streamforge-minio', key: 'secret-key' },
    });
  });

  it('give each role its own Kafka user, its password from the Secret Strimzi writes under that name, never the manager\'s', () => {
    const expected = { loader: 'streamforge-loader', connector: 'streamforge-connector', 'graph-builder': 'streamforge-stage', trainer: 'streamforge-stage' } as const;
    for (const [role, user] of Object.entries(expected)) {
      assert.equal(stageKafkaUser(role, settings), user);
      assert.deepEqual(stageSecretEnv(role, settings).KAFKA_PASSWORD, { secretName: user, key: 'password' });
    }
    const container = jobManifest({ role: 'connector', command: command('connector') }, 1, settings).spec?.template.spec?.containers[0];
    assert.deepEqual(container?.env?.find((e) => e.name === 'KAFKA_USER'), { name: 'KAFKA_USER', value: 'streamforge-connector' });
    assert.throws(
      () => resolveJobSettings({ image: 'ghcr.io/streamforge/streamforge:1.0.0', namespace: 'streamforge', overrides: { secretEnv: { KAFKA_PASSWORD: { secretName: 'streamforge-app', key: 'password' } } } }),
      /KAFKA_PASSWORD comes from the Kafka user's own Secret/,
    );
  });

  it('leave loader and connector Jobs as they were: shared resources, no MinIO keys', () => {
    for (const role of ['loader', 'connector'] as const) {
      const container = jobManifest({ role, command: command(role) }, 1, settings).spec?.template.spec?.containers[0];
      assert.deepEqual(container?.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } });
      const names = (container?.env ?? []).map((e) => e.name);
      assert.ok(!names.includes('MINIO_ACCESS_KEY') && !names.includes('MINIO_SECRET_KEY'), `${role} gets no MinIO keys`);
    }
  });

  it('take the trainer resources from overrides (K8S_TRAINER_*) and check them like the others', () => {
    const custom = resolveJobSettings({
      image: 'registry.example/streamforge:0.2.0',
      namespace: 'streamforge',
      overrides: { roles: { trainer: { ...DEFAULT_JOB_SETTINGS.roles['trainer'], resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '4', memory: '8Gi' } } } } },
    });
    assert.equal(stageResources('trainer', custom).limits.memory, '8Gi');
    assert.equal(stageSecretEnv('trainer', custom)['MINIO_SECRET_KEY']?.secretName, 'streamforge-minio');
    assert.throws(
      () =>
        resolveJobSettings({
          image: 'registry.example/streamforge:0.2.0',
          namespace: 'streamforge',
          overrides: {
            roles: {
              trainer: {
                resources: { requests: { cpu: '1', memory: 'lots' }, limits: { cpu: '4', memory: '8Gi' } },
                secretEnv: { STREAMFORGE_API_TOKEN: { secretName: 'streamforge-api', key: 'token' }, MINIO_SECRET_KEY: { secretName: 'Bad_Name', key: 'k' } },
              },
            },
          },
        }),
      (err: unknown) =>
        err instanceof ConfigError &&
        ['trainer memory request "lots"', 'STREAMFORGE_API_TOKEN must never reach a Job', 'Secret for MINIO_SECRET_KEY name "Bad_Name"'].every((part) => err.message.includes(part)),
    );
  });
});
