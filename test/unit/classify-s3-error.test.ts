import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Error } from 'minio';
import { ObjectStoreError } from '../../src/protocol/index.ts';
import { classifyS3Error, objectStoreErrorFrom, S3Failures } from '../../src/system/objects/index.ts';

/** An error as minio-js builds it from a server's XML answer. */
function s3Error(code: string, message = 'from the server'): S3Error {
  const err = new S3Error(message);
  err.code = code;
  return err;
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9000`), { code });
}

describe('classifyS3Error', () => {
  it('retries throttling, server trouble and timeouts the server reports', () => {
    for (const [code, failure] of [
      ['SlowDown', S3Failures.THROTTLED],
      ['ServiceUnavailable', S3Failures.UNAVAILABLE],
      ['InternalError', S3Failures.UNAVAILABLE],
      ['RequestTimeout', S3Failures.TIMEOUT],
    ] as const) {
      assert.deepEqual(classifyS3Error(s3Error(code)), { failure, retriable: true, s3Code: code }, code);
    }
  });

  it('does not retry refused credentials, a missing bucket or a bad request', () => {
    for (const code of ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken']) {
      assert.deepEqual(classifyS3Error(s3Error(code)), { failure: S3Failures.AUTH, retriable: false, s3Code: code }, code);
    }
    assert.deepEqual(classifyS3Error(s3Error('NoSuchBucket')), { failure: S3Failures.NO_BUCKET, retriable: false, s3Code: 'NoSuchBucket' });
    assert.deepEqual(classifyS3Error(s3Error('KeyTooLongError')), { failure: S3Failures.BAD_REQUEST, retriable: false, s3Code: 'KeyTooLongError' });
  });

  it('retries the 5xx, 429 and 408 answers minio-js reports by status', () => {
    for (const [status, failure] of [
      [500, S3Failures.UNAVAILABLE],
      [502, S3Failures.UNAVAILABLE],
      [503, S3Failures.THROTTLED],
      [429, S3Failures.THROTTLED],
      [504, S3Failures.TIMEOUT],
      [408, S3Failures.TIMEOUT],
    ] as const) {
      const err = new Error(`Request failed after 0 retries: Error: Retryable HTTP status: ${status}`);
      assert.deepEqual(classifyS3Error(err), { failure, retriable: true, status }, String(status));
    }
  });

  it('retries refused and reset connections and timeouts, also inside AggregateError and cause chains', () => {
    assert.deepEqual(classifyS3Error(socketError('ECONNREFUSED')), { failure: S3Failures.NETWORK, retriable: true });
    assert.deepEqual(classifyS3Error(socketError('ECONNRESET')), { failure: S3Failures.NETWORK, retriable: true });
    assert.deepEqual(classifyS3Error(socketError('ETIMEDOUT')), { failure: S3Failures.TIMEOUT, retriable: true });
    const happyEyeballs = new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], 'connect failed');
    assert.deepEqual(classifyS3Error(happyEyeballs), { failure: S3Failures.NETWORK, retriable: true });
    assert.deepEqual(classifyS3Error(new Error('wrapped', { cause: socketError('EPIPE') })), { failure: S3Failures.NETWORK, retriable: true });
  });

  it('does not retry certificate failures, argument errors or the unknown', () => {
    assert.deepEqual(classifyS3Error(socketError('DEPTH_ZERO_SELF_SIGNED_CERT')), { failure: S3Failures.TLS, retriable: false });
    assert.deepEqual(classifyS3Error(socketError('ERR_TLS_CERT_ALTNAME_INVALID')), { failure: S3Failures.TLS, retriable: false });
    assert.deepEqual(classifyS3Error(Object.assign(new Error('Invalid bucket name'), { name: 'InvalidBucketNameError' })), { failure: S3Failures.BAD_REQUEST, retriable: false });
    assert.deepEqual(classifyS3Error(new Error('something else')), { failure: S3Failures.UNKNOWN, retriable: false });
    assert.deepEqual(classifyS3Error('a string'), { failure: S3Failures.UNKNOWN, retriable: false });
  });
});

describe('objectStoreErrorFrom', () => {
  const context = { operation: 'get', key: 'models/m/model.json', endpoint: 'http://127.0.0.1:9000', bucket: 'streamforge-models' };

  it('names the call, the bucket, the endpoint, the failure and what to check, and keeps the cause', () => {
    const cause = s3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match');
    const err = objectStoreErrorFrom(cause, context);
    assert.ok(err instanceof ObjectStoreError);
    assert.equal(err.retriable, false);
    assert.equal(err.cause, cause);
    assert.equal(
      err.message,
      'S3 get "models/m/model.json" (bucket streamforge-models at http://127.0.0.1:9000) failed (auth): SignatureDoesNotMatch: The request signature we calculated does not match; ' +
        'check MINIO_ACCESS_KEY and MINIO_SECRET_KEY (and MINIO_REGION against AWS), and that this key may use the bucket',
    );
    assert.deepEqual(err.details, { failure: 'auth', endpoint: context.endpoint, bucket: context.bucket, operation: 'get', key: context.key, s3Code: 'SignatureDoesNotMatch' });
  });

  it('says HTTP <status> for a status-only answer, and passes an ObjectStoreError through', () => {
    const err = objectStoreErrorFrom(new Error('Request failed after 0 retries: Error: Retryable HTTP status: 502'), context);
    assert.equal(err.retriable, true);
    assert.match(err.message, /failed \(unavailable\): HTTP 502;/);
    assert.equal(objectStoreErrorFrom(err, context), err);
  });
});
