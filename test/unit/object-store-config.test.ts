import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/protocol/index.ts';
import { loadConfig } from '../../src/system/config/index.ts';
import { createObjectStore, MinioObjectStore } from '../../src/system/objects/index.ts';

function configError(env: Record<string, string>): string {
  try {
    loadConfig({}, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  return assert.fail('expected a ConfigError');
}

const keys = { MINIO_ACCESS_KEY: 'AKIA0000', MINIO_SECRET_KEY: 'secret-value-for-tests' };

describe('object store settings', () => {
  it('default to the filesystem store, the streamforge-models bucket and larger trainer Jobs', () => {
    const config = loadConfig({}, {});
    assert.equal(config.MINIO_ENDPOINT, undefined);
    assert.equal(config.MINIO_BUCKET_NAME, 'streamforge-models');
    assert.equal(config.MINIO_SECURE, undefined);
    assert.equal(config.MINIO_MAX_ATTEMPTS, 5);
    assert.equal(config.MINIO_TIMEOUT_MS, 30_000);
    assert.deepEqual(
      [config.K8S_TRAINER_CPU_REQUEST, config.K8S_TRAINER_MEMORY_REQUEST, config.K8S_TRAINER_CPU_LIMIT, config.K8S_TRAINER_MEMORY_LIMIT],
      ['500m', '1Gi', '2', '4Gi'],
    );
    assert.equal(createObjectStore(config).kind, 'filesystem');
  });

  it('choose the S3 store with MINIO_ENDPOINT, in either form', async () => {
    for (const [endpoint, secure, url] of [
      ['minio:9000', undefined, 'http://minio:9000'],
      ['minio:9000', 'true', 'https://minio:9000'],
      ['https://s3.example.com', undefined, 'https://s3.example.com:443'],
    ] as const) {
      const config = loadConfig({}, { MINIO_ENDPOINT: endpoint, ...(secure !== undefined ? { MINIO_SECURE: secure } : {}), MINIO_BUCKET_NAME: 'models-b', ...keys });
      const store = createObjectStore(config);
      assert.ok(store instanceof MinioObjectStore);
      assert.equal(store.endpoint, url);
      assert.equal(store.uri('models/m/model.json'), 's3://models-b/models/m/model.json');
      await store.close();
    }
  });

  it('refuse an endpoint without keys, a bad endpoint, a bad bucket name and a non-boolean MINIO_SECURE, all at once where they can be', () => {
    const missing = configError({ MINIO_ENDPOINT: 'minio:9000' });
    assert.match(missing, /MINIO_ACCESS_KEY is required with MINIO_ENDPOINT/);
    assert.match(missing, /MINIO_SECRET_KEY is required with MINIO_ENDPOINT/);
    const many = configError({ MINIO_ENDPOINT: 'minio:9000/bucket', MINIO_BUCKET_NAME: 'Bad_Bucket', MINIO_SECURE: 'maybe', ...keys });
    assert.match(many, /MINIO_ENDPOINT must be `host:port`/);
    assert.match(many, /MINIO_BUCKET_NAME must be an S3 bucket name/);
    assert.match(many, /MINIO_SECURE/);
    assert.match(configError({ MINIO_ENDPOINT: 'http://minio:9000', MINIO_SECURE: 'true', ...keys }), /MINIO_SECURE=true contradicts/);
    assert.ok(!configError({ MINIO_ENDPOINT: 'nope:x', ...keys }).includes(keys.MINIO_SECRET_KEY), 'the secret is never echoed');
  });
});
