// The S3 object store against a real S3 server (S3Proxy 4.1.0 started by scripts/s3/s3-up.sh, or
// the one MINIO_ENDPOINT names): the ObjectStore contract, the bucket made when missing, refused
// credentials, a server that is down, and one that comes back while the store retries. Every test
// works in a bucket of its own and removes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'minio';
import type { BucketItem } from 'minio';
import { systemClock } from '../../src/system/observability/index.ts';
import type { Clock } from '../../src/actors/ports/index.ts';
import { ErrorCodes, ObjectStoreError } from '../../src/protocol/index.ts';
import { loadConfig, parseS3Endpoint } from '../../src/system/config/index.ts';
import { createObjectStore, MinioObjectStore } from '../../src/system/objects/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { freePort } from '../helpers/free-port.ts';
import { objectStoreContract } from '../helpers/object-store-contract.ts';
import { rejectionOf } from '../helpers/rejection-of.ts';
import { releaseS3, requireS3, s3Env, s3ProxyDown, startS3Proxy, stopS3Process, uniqueBucketName } from '../helpers/s3-server.ts';
import type { S3Server } from '../helpers/s3-server.ts';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A client of its own to look at the server behind the store's back. */
function rawClient(server: S3Server): Client {
  const endpoint = parseS3Endpoint(server.endpoint, undefined);
  assert.ok(typeof endpoint !== 'string', endpoint as string);
  return new Client({ endPoint: endpoint.host, port: endpoint.port, useSSL: endpoint.secure, accessKey: server.accessKey, secretKey: server.secretKey });
}

async function removeBucket(client: Client, bucket: string): Promise<void> {
  if (!(await client.bucketExists(bucket))) return;
  const names: string[] = [];
  for await (const item of client.listObjectsV2(bucket, '', true) as AsyncIterable<BucketItem>) if (item.name !== undefined) names.push(item.name);
  if (names.length > 0) await client.removeObjects(bucket, names);
  await client.removeBucket(bucket);
}

let server: S3Server;
let client: Client;

before(async () => {
  server = await requireS3();
  client = rawClient(server);
});
after(() => releaseS3());

objectStoreContract('MinioObjectStore on S3Proxy', () => {
  const bucket = uniqueBucketName('sf-contract');
  const store = createObjectStore(loadConfig({}, s3Env(server, bucket)));
  return Promise.resolve({
    store,
    expectedUri: (key) => `s3://${bucket}/${key}`,
    cleanup: async () => {
      await store.close();
      await removeBucket(client, bucket);
    },
  });
});

describe('MinioObjectStore on a real S3 server', { timeout: 180_000 }, () => {
  it('makes the bucket when it is missing, and uses one that exists', async () => {
    const bucket = uniqueBucketName('sf-create');
    assert.equal(await client.bucketExists(bucket), false);
    const store = createObjectStore(loadConfig({}, s3Env(server, bucket)));
    try {
      assert.equal(store.kind, 's3');
      await store.put('models/m1/model.json', encode('{}'), 'application/json');
      assert.equal(await client.bucketExists(bucket), true);
      const stat = await client.statObject(bucket, 'models/m1/model.json');
      assert.equal(stat.size, 2);
      assert.equal(stat.metaData['content-type'], 'application/json');
      // A second store on the now existing bucket sees the object.
      const again = createObjectStore(loadConfig({}, s3Env(server, bucket)));
      assert.deepEqual(await again.list('models/'), ['models/m1/model.json']);
      await again.close();
    } finally {
      await store.close();
      await removeBucket(client, bucket);
    }
  });

  it('fails at once, without retries, on a wrong secret or an unknown access key, naming what to check and never the secret', async () => {
    const bucket = uniqueBucketName('sf-auth');
    await client.makeBucket(bucket);
    try {
      for (const [accessKey, secretKey] of [
        [server.accessKey, 'wrong-secret-0123456789abcdefghijklmnopq'],
        ['NOSUCHKEY0000000000X', server.secretKey],
      ] as const) {
        const clock = new FakeClock(0);
        const endpoint = parseS3Endpoint(server.endpoint, undefined);
        assert.ok(typeof endpoint !== 'string');
        const store = new MinioObjectStore({ endpoint, accessKey, secretKey, bucket, clock, maxAttempts: 5 });
        const err = await rejectionOf('put with refused credentials', () => store.put('models/m/model.json', encode('{}')));
        assert.ok(err instanceof ObjectStoreError, String(err));
        assert.equal(err.code, ErrorCodes.OBJECT_STORE);
        assert.equal(err.retriable, false);
        assert.match(err.message, /\(auth\)/);
        assert.match(err.message, /MINIO_ACCESS_KEY and MINIO_SECRET_KEY/);
        assert.ok(err.message.includes(endpoint.url), err.message);
        assert.ok(!err.message.includes(secretKey) && !err.message.includes(server.secretKey), 'no secret in the message');
        assert.deepEqual(clock.sleeps, [], 'not retried');
        await store.close();
      }
      assert.deepEqual(await client.listObjectsV2(bucket, '', true).toArray(), [], 'nothing was written');
    } finally {
      await removeBucket(client, bucket);
    }
  });

  it('retries a server that is down, then fails retriably naming the endpoint', async () => {
    const port = await freePort();
    const clock = new FakeClock(0);
    const store = createObjectStore(loadConfig({}, { ...s3Env(server, uniqueBucketName('sf-down')), MINIO_ENDPOINT: `127.0.0.1:${port}`, MINIO_MAX_ATTEMPTS: '3' }), { clock });
    const err = await rejectionOf('get from a server that is down', () => store.get('models/m/model.json'));
    assert.ok(err instanceof ObjectStoreError, String(err));
    assert.equal(err.retriable, true);
    assert.match(err.message, new RegExp(`at http://127\\.0\\.0\\.1:${port}\\)`));
    assert.match(err.message, /gave up after 3 attempts/);
    assert.equal(clock.sleeps.length, 2);
    await store.close();
  });

  it('succeeds when the server comes back while the store retries', async () => {
    const own = await startS3Proxy();
    const bucket = uniqueBucketName('sf-back');
    const weights = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 251);
    let restarts = 0;
    // The first wait between attempts is when the server comes back: no fixed sleep, no race.
    const clock: Clock = {
      ...systemClock,
      sleep: async () => {
        if (restarts === 0) {
          restarts += 1;
          await startS3Proxy(own.port, { keepData: true });
        }
      },
    };
    const store = createObjectStore(loadConfig({}, { ...s3Env(own, bucket), MINIO_MAX_ATTEMPTS: '4' }), { clock });
    try {
      await store.put('models/m/weights.bin', weights);
      await stopS3Process(own.port);
      const back = await store.get('models/m/weights.bin');
      assert.equal(restarts, 1, 'the first attempt failed while the server was down');
      assert.deepEqual(back, weights);
      await store.put('models/m/metadata.json', encode('{"ok":true}'));
      assert.deepEqual(await store.list('models/m/'), ['models/m/metadata.json', 'models/m/weights.bin']);
    } finally {
      await store.close();
      await s3ProxyDown(own.port);
    }
  });
});
