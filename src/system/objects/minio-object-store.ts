import { Agent as HttpAgent } from 'node:http';
import type { ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { Client } from 'minio';
import type { BucketItem } from 'minio';
import { retry } from '../../actors/exchange/retry.ts';
import type { Clock, Logger } from '../../actors/ports/index.ts';
import type { ObjectStore } from '../../actors/ports/object-store.ts';
import { ObjectStoreError } from '../../protocol/index.ts';
import type { S3Endpoint } from '../config/index.ts';
import { classifyS3Error, objectStoreErrorFrom } from './classify-s3-error.ts';
import { assertObjectKey, assertObjectPrefix } from './object-key.ts';

export interface MinioObjectStoreOptions {
  readonly endpoint: S3Endpoint;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  /** Needed against AWS outside us-east-1; MinIO and S3Proxy take any. */
  readonly region?: string | undefined;
  /** Owns the waits between attempts. */
  readonly clock: Clock;
  /** Attempts per call on retriable failures, the first included. @defaultValue 5 */
  readonly maxAttempts?: number;
  /** @defaultValue 250 */
  readonly initialDelayMs?: number;
  /** @defaultValue 4000 */
  readonly maxDelayMs?: number;
  /** A connection silent for this long is cut and the call fails (retriably). @defaultValue 30000 */
  readonly timeoutMs?: number;
  /** Objects larger than this go up in parts of this size (multipart upload); at least 5 MiB. @defaultValue 8 MiB */
  readonly partSizeBytes?: number;
  readonly random?: () => number;
  /** Told of every retried failure (warn level), and of the bucket's creation. */
  readonly logger?: Logger;
}

const MIB = 1024 * 1024;

/**
 * Objects in an S3 bucket through the `minio` client: MinIO, S3Proxy, AWS S3. The bucket is made on
 * first use when missing. Retriable failures (server down, 5xx, timeouts, SlowDown) are retried
 * with jittered exponential backoff within `maxAttempts`; then the call fails with an
 * ObjectStoreError naming the endpoint and what to check (never the secret). Refused credentials,
 * a bucket gone missing and bad keys fail at once.
 */
export class MinioObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly #client: Client;
  readonly #agent: HttpAgent;
  readonly #options: MinioObjectStoreOptions;
  #bucketReady: Promise<void> | undefined;
  #closed = false;

  constructor(options: MinioObjectStoreOptions) {
    this.#options = options;
    this.#agent = idleTimeoutAgent(options.endpoint.secure, options.timeoutMs ?? 30_000);
    this.#client = new Client({
      endPoint: options.endpoint.host,
      port: options.endpoint.port,
      useSSL: options.endpoint.secure,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      ...(options.region !== undefined ? { region: options.region } : {}),
      pathStyle: true,
      partSize: Math.max(5 * MIB, options.partSizeBytes ?? 8 * MIB),
      transportAgent: this.#agent,
      // Retries are ours (bounded, on the injected clock, classified); minio's own would log to the console.
      retryOptions: { maximumRetryCount: 0 },
    });
  }

  /** `http(s)://host:port` of the server. */
  get endpoint(): string {
    return this.#options.endpoint.url;
  }

  get bucket(): string {
    return this.#options.bucket;
  }

  async put(key: string, body: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    this.#check(key);
    const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    await this.#call('put', key, () => this.#client.putObject(this.bucket, key, buffer, buffer.byteLength, { 'Content-Type': contentType }));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#check(key);
    return this.#call('get', key, async () => {
      let stream: Readable;
      try {
        stream = await this.#client.getObject(this.bucket, key);
      } catch (err) {
        if (isNoSuchKey(err)) return undefined;
        throw err;
      }
      const bytes = await readAll(stream);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    });
  }

  async list(prefix: string): Promise<string[]> {
    this.#assertOpen();
    assertObjectPrefix(prefix);
    return this.#call('list', prefix, async () => {
      const keys: string[] = [];
      for await (const item of this.#client.listObjectsV2(this.bucket, prefix, true) as AsyncIterable<BucketItem>) {
        if (item.name !== undefined) keys.push(item.name);
      }
      return keys.sort();
    });
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix === '') throw new ObjectStoreError('deletePrefix needs a prefix: refusing to delete every object', { retriable: false });
    const keys = await this.list(prefix);
    if (keys.length === 0) return;
    await this.#call('deletePrefix', prefix, async () => {
      const failures = await this.#client.removeObjects(this.bucket, keys);
      const first = failures.find((f) => f?.Error !== undefined)?.Error;
      if (first !== undefined) {
        throw Object.assign(new Error(`${first.Code ?? 'error'} deleting ${first.Key ?? '?'}: ${first.Message ?? ''} (${failures.length} of ${keys.length} failed)`), {
          name: 'S3Error',
          code: first.Code ?? 'InternalError',
        });
      }
    });
  }

  uri(key: string): string {
    assertObjectKey(key);
    return `s3://${this.bucket}/${key}`;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#agent.destroy();
    return Promise.resolve();
  }

  /** Makes the bucket when it is missing (once; again after a failure). */
  ensureBucket(): Promise<void> {
    this.#bucketReady ??= this.#call('bucket check/create', undefined, async () => {
      if (await this.#client.bucketExists(this.bucket)) return;
      try {
        await this.#client.makeBucket(this.bucket, this.#options.region ?? '');
        this.#options.logger?.info({ bucket: this.bucket, endpoint: this.endpoint }, 'object store bucket created');
      } catch (err) {
        // Someone else made it between our check and our create: what we wanted.
        if (!isBucketOwned(err)) throw err;
      }
    }, false).catch((err: unknown) => {
      this.#bucketReady = undefined;
      throw err;
    });
    return this.#bucketReady;
  }

  #check(key: string): void {
    this.#assertOpen();
    assertObjectKey(key);
  }

  #assertOpen(): void {
    if (this.#closed) throw new ObjectStoreError('the object store is closed', { retriable: false });
  }

  /** Runs one S3 call with classification and bounded retries; the bucket is made first. */
  async #call<T>(operation: string, key: string | undefined, fn: () => Promise<T>, needsBucket = true): Promise<T> {
    if (needsBucket) await this.ensureBucket();
    const context = { operation, endpoint: this.endpoint, bucket: this.bucket, ...(key !== undefined ? { key } : {}) };
    const maxAttempts = this.#options.maxAttempts ?? 5;
    let attempts = 1;
    try {
      return await retry(
        async () => {
          try {
            return await fn();
          } catch (err) {
            throw objectStoreErrorFrom(err, context);
          }
        },
        {
          clock: this.#options.clock,
          maxAttempts,
          ...(this.#options.initialDelayMs !== undefined ? { initialDelayMs: this.#options.initialDelayMs } : {}),
          ...(this.#options.maxDelayMs !== undefined ? { maxDelayMs: this.#options.maxDelayMs } : {}),
          ...(this.#options.random !== undefined ? { random: this.#options.random } : {}),
          onRetry: (err, attempt, delayMs) => {
            attempts = attempt + 1;
            this.#options.logger?.warn({ err, operation, key, endpoint: this.endpoint, attempt, delay_ms: delayMs }, 'object store call failed; retrying');
          },
        },
      );
    } catch (err) {
      if (!(err instanceof ObjectStoreError) || !err.retriable || attempts < 2) throw err;
      throw new ObjectStoreError(`${err.message} (gave up after ${attempts} attempts)`, { retriable: true, cause: err, details: { ...err.details, attempts } });
    }
  }
}

function isNoSuchKey(err: unknown): boolean {
  const c = classifyS3Error(err);
  return c.s3Code === 'NoSuchKey' || c.s3Code === 'NotFound';
}

function isBucketOwned(err: unknown): boolean {
  const code = classifyS3Error(err).s3Code;
  return code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * minio-js sets no timeout: a server that accepts and never answers would hang a call forever.
 * Each socket of this agent is cut (ETIMEDOUT, retriable) after `timeoutMs` without traffic.
 * No keep-alive, so an idle pooled socket is never mistaken for a stalled call.
 */
function idleTimeoutAgent(secure: boolean, timeoutMs: number): HttpAgent {
  const Base = secure ? HttpsAgent : HttpAgent;
  class IdleTimeoutAgent extends Base {
    override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
      const socket = super.createConnection(options, callback);
      if (socket instanceof Socket) {
        socket.setTimeout(timeoutMs, () => {
          socket.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
        });
      }
      return socket;
    }
  }
  return new IdleTimeoutAgent({ keepAlive: false });
}
