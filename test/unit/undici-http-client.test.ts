import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, ExchangeError } from '../../src/protocol/index.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';

const MiB = 1024 * 1024;

describe('UndiciHttpClient maxBytes', () => {
  /** Bytes each answer (by path) had written when its connection closed. */
  const written = new Map<string, number>();
  const server = createServer((req, res) => {
    const bytes = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes'));
    const chunked = req.url?.startsWith('/chunked') ?? false;
    res.writeHead(200, chunked ? {} : { 'content-length': bytes });
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const more = () => {
      while (sent < bytes) {
        const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
        sent += part.length;
        if (!res.write(part)) return void res.once('drain', more);
      }
      res.end();
    };
    res.on('close', () => written.set(req.url ?? '', sent));
    more();
  });
  const client = new UndiciHttpClient({ timeoutMs: 10_000 });
  let base = '';

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const tooLarge = (pattern: RegExp) => (err: unknown) => {
    assert.ok(err instanceof ExchangeError, String(err));
    assert.equal(err.code, ErrorCodes.EXCHANGE_RESPONSE_TOO_LARGE);
    assert.equal(err.retriable, false, 'the same answer would come back');
    assert.match(err.message, pattern);
    return true;
  };

  it('reads a body within its bound whole', async () => {
    const res = await client.getBytes(`${base}/sized?bytes=100000`, { maxBytes: 100_000 });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 100_000);
    const chunked = await client.getBytes(`${base}/chunked?bytes=300000`, { maxBytes: 300_000 });
    assert.equal(chunked.body.length, 300_000);
    assert.equal((await client.get(`${base}/sized?bytes=5`, { maxBytes: 5 })).body, 'aaaaa');
  });

  it('refuses a Content-Length over the bound before reading the body', async () => {
    await assert.rejects(client.getBytes(`${base}/sized?bytes=${64 * MiB}`, { maxBytes: MiB }), tooLarge(/127\.0\.0\.1:\d+ answered 67108864 bytes, more than the 1048576 allowed/));
  });

  it('stops reading a body without a length once it passes the bound', async () => {
    const path = `/chunked?bytes=${256 * MiB}`;
    await assert.rejects(client.getBytes(`${base}${path}`, { maxBytes: MiB }), tooLarge(/answered over \d+ bytes, more than the 1048576 allowed/));
    await new Promise<void>((resolve) => {
      const check = () => (written.has(path) ? resolve() : setImmediate(check));
      check();
    });
    assert.ok((written.get(path) ?? Infinity) < 64 * MiB, `the connection was cut early: the server wrote ${written.get(path)} bytes of 256 MiB`);
  });

  it('reads without a bound when none is asked for', async () => {
    assert.equal((await client.getBytes(`${base}/chunked?bytes=${2 * MiB}`)).body.length, 2 * MiB);
  });
});
