// The S3 store's failure handling without an S3 server: a closed port (refused) and a server that
// accepts and never answers. Waits between attempts run on a fake clock. The S3 behaviour itself
// is checked against a real S3Proxy in test/integration/minio-object-store.test.ts.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ErrorCodes, ObjectStoreError } from '../../src/protocol/index.ts';
import { parseS3Endpoint } from '../../src/system/config/index.ts';
import type { S3Endpoint } from '../../src/system/config/index.ts';
import { MinioObjectStore } from '../../src/system/objects/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { freePort } from '../helpers/free-port.ts';
import { rejectionOf } from '../helpers/rejection-of.ts';

const SECRET = 'not-a-real-secret-but-never-shown-0123456789';

function endpointOf(text: string): S3Endpoint {
  const endpoint = parseS3Endpoint(text, undefined);
  assert.ok(typeof endpoint !== 'string', endpoint as string);
  return endpoint;
}

function storeAt(endpoint: string, clock: FakeClock, extra: { maxAttempts?: number; timeoutMs?: number } = {}): MinioObjectStore {
  return new MinioObjectStore({ endpoint: endpointOf(endpoint), accessKey: 'AKIATEST', secretKey: SECRET, bucket: 'streamforge-models', clock, random: () => 0.5, ...extra });
}

describe('MinioObjectStore without a server', () => {
  it('retries a refused connection with growing jittered delays, then fails retriably naming the endpoint and what to check', async () => {
    const port = await freePort();
    const clock = new FakeClock(0);
    const store = storeAt(`127.0.0.1:${port}`, clock, { maxAttempts: 4 });
    const err = await rejectionOf('put to a closed port', () => store.put('models/m/model.json', new Uint8Array([1])));
    assert.ok(err instanceof ObjectStoreError, String(err));
    assert.equal(err.code, ErrorCodes.OBJECT_STORE);
    assert.equal(err.retriable, true);
    assert.match(err.message, new RegExp(`http://127\\.0\\.0\\.1:${port}`));
    assert.match(err.message, /ECONNREFUSED/);
    assert.match(err.message, /MINIO_ENDPOINT/);
    assert.match(err.message, /gave up after 4 attempts/);
    assert.ok(!err.message.includes(SECRET), 'the secret never appears');
    // 250 ms doubling, half of it jitter (random 0.5): 187.5→188, 375, 750.
    assert.deepEqual(clock.sleeps, [188, 375, 750]);
    assert.ok(err.cause instanceof ObjectStoreError && err.cause.cause !== undefined, 'the socket error is kept as cause');
    await store.close();
  });

  it('cuts a connection that stays silent and counts it as a retriable timeout', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const clock = new FakeClock(0);
    const store = storeAt(`127.0.0.1:${port}`, clock, { maxAttempts: 2, timeoutMs: 200 });
    try {
      const err = await rejectionOf('get from a silent server', () => store.get('models/m/model.json'));
      assert.ok(err instanceof ObjectStoreError, String(err));
      assert.equal(err.retriable, true);
      assert.match(err.message, /\(timeout\)/);
      assert.match(err.message, /gave up after 2 attempts/);
      assert.equal(clock.sleeps.length, 1);
      assert.equal(sockets.length, 2, 'one connection per attempt');
    } finally {
      await store.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('rejects a bad key before any request, without retrying', async () => {
    const clock = new FakeClock(0);
    const store = storeAt(`127.0.0.1:${await freePort()}`, clock);
    const err = await rejectionOf('put ../x', () => store.put('../x', new Uint8Array([1])));
    assert.ok(err instanceof ObjectStoreError && !err.retriable);
    assert.deepEqual(clock.sleeps, []);
    assert.equal(store.uri('models/m/model.json'), 's3://streamforge-models/models/m/model.json');
    await store.close();
  });
});
