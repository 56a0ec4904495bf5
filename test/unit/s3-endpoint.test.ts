import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseS3Endpoint } from '../../src/system/config/index.ts';

describe('parseS3Endpoint', () => {
  it("reads the original services' host:port form, HTTPS only when MINIO_SECURE says so", () => {
    assert.deepEqual(parseS3Endpoint('minio:9000', undefined), { host: 'minio', port: 9000, secure: false, url: 'http://minio:9000' });
    assert.deepEqual(parseS3Endpoint('minio:9000', true), { host: 'minio', port: 9000, secure: true, url: 'https://minio:9000' });
    assert.deepEqual(parseS3Endpoint('127.0.0.1:80', true), { host: '127.0.0.1', port: 80, secure: true, url: 'https://127.0.0.1:80' });
    assert.deepEqual(parseS3Endpoint('s3.example.com', true), { host: 's3.example.com', port: 443, secure: true, url: 'https://s3.example.com:443' });
    assert.deepEqual(parseS3Endpoint('s3.example.com', false), { host: 's3.example.com', port: 80, secure: false, url: 'http://s3.example.com:80' });
    assert.deepEqual(parseS3Endpoint('[::1]:9000', undefined), { host: '::1', port: 9000, secure: false, url: 'http://[::1]:9000' });
  });

  it('reads a URL, whose scheme decides HTTPS', () => {
    assert.deepEqual(parseS3Endpoint('http://minio.minio.svc:9000', undefined), { host: 'minio.minio.svc', port: 9000, secure: false, url: 'http://minio.minio.svc:9000' });
    assert.deepEqual(parseS3Endpoint('https://s3.amazonaws.com/', undefined), { host: 's3.amazonaws.com', port: 443, secure: true, url: 'https://s3.amazonaws.com:443' });
    assert.deepEqual(parseS3Endpoint('http://minio:80', false), { host: 'minio', port: 80, secure: false, url: 'http://minio:80' });
  });

  it('names what is wrong otherwise', () => {
    const problem = (text: string, secure?: boolean) => {
      const result = parseS3Endpoint(text, secure);
      assert.equal(typeof result, 'string', `${text} is refused`);
      return result as string;
    };
    assert.match(problem('minio:notaport'), /is not an endpoint/);
    assert.match(problem('ftp://minio:21'), /only http:\/\/ and https:\/\//);
    assert.match(problem('http://user:pw@minio:9000'), /must not carry credentials/);
    assert.match(problem('http://minio:9000/bucket'), /has a path or query/);
    assert.match(problem('minio:9000/bucket'), /is neither/);
    assert.match(problem('http://minio:9000', true), /MINIO_SECURE=true contradicts the http:\/\//);
    assert.match(problem('minio:70000'), /is not an endpoint/);
  });
});
