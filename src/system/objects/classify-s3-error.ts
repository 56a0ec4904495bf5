import { ObjectStoreError } from '../../protocol/index.ts';

/** Why an S3 call failed, as a small fixed set (fit for a metric label). */
export const S3Failures = {
  NETWORK: 'network',
  TIMEOUT: 'timeout',
  UNAVAILABLE: 'unavailable',
  THROTTLED: 'throttled',
  AUTH: 'auth',
  NO_BUCKET: 'no_bucket',
  TLS: 'tls',
  BAD_REQUEST: 'bad_request',
  UNKNOWN: 'unknown',
} as const;
export type S3Failure = (typeof S3Failures)[keyof typeof S3Failures];

export interface S3ErrorClass {
  readonly failure: S3Failure;
  /** True when the same call may succeed later. */
  readonly retriable: boolean;
  /** The server's error code (`AccessDenied`, `SlowDown`…), when it answered with one. */
  readonly s3Code?: string;
  /** The HTTP status, when known. */
  readonly status?: number;
}

/** Error codes S3 documents as "try again". */
const RETRIABLE_S3_CODES = new Map<string, S3Failure>([
  ['SlowDown', S3Failures.THROTTLED],
  ['Throttling', S3Failures.THROTTLED],
  ['ThrottlingException', S3Failures.THROTTLED],
  ['RequestLimitExceeded', S3Failures.THROTTLED],
  ['TooManyRequests', S3Failures.THROTTLED],
  ['ServiceUnavailable', S3Failures.UNAVAILABLE],
  ['InternalError', S3Failures.UNAVAILABLE],
  ['OperationAborted', S3Failures.UNAVAILABLE],
  ['XMinioServerNotInitialized', S3Failures.UNAVAILABLE],
  ['RequestTimeout', S3Failures.TIMEOUT],
]);

/** Refused credentials or permissions: only a change of configuration helps. */
const AUTH_S3_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidSecurity',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ERR_STREAM_PREMATURE_CLOSE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const TLS_CODE = /^(?:CERT_|ERR_TLS_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_SSL_)/;
/** minio's own argument errors: the request can never be valid. */
const CLIENT_ERROR_NAMES = new Set(['InvalidArgumentError', 'InvalidBucketNameError', 'InvalidObjectNameError', 'InvalidPortError', 'InvalidEndpointError', 'AccessKeyRequiredError', 'SecretKeyRequiredError', 'InvalidPrefixError']);
/** HTTP statuses worth another attempt (those minio-js itself would retry). */
const RETRIABLE_STATUS = new Set([408, 429, 499, 500, 502, 503, 504, 520]);
/** What minio-js throws for those statuses when its own retries are off. */
const RETRIABLE_STATUS_MESSAGE = /Retryable HTTP status: (\d{3})/;

const MAX_CAUSE_DEPTH = 8;

/**
 * Classifies what a minio-js call threw: S3 error codes from the server, HTTP statuses, socket
 * failures and timeouts (along `cause` and AggregateError chains), TLS and argument errors.
 * Pure and duck-typed, so plain objects shaped like those errors classify the same way.
 */
export function classifyS3Error(err: unknown): S3ErrorClass {
  if (err instanceof ObjectStoreError) return { failure: S3Failures.UNKNOWN, retriable: err.retriable };
  for (const e of errorChain(err)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (e.name === 'S3Error' && code !== undefined && code !== '') return classifyS3Code(code);
    const status = RETRIABLE_STATUS_MESSAGE.exec(typeof e.message === 'string' ? e.message : '')?.[1];
    if (status !== undefined && RETRIABLE_STATUS.has(Number(status))) {
      const n = Number(status);
      return { failure: n === 429 || n === 503 ? S3Failures.THROTTLED : n === 408 || n === 504 ? S3Failures.TIMEOUT : S3Failures.UNAVAILABLE, retriable: true, status: n };
    }
    if (code !== undefined) {
      if (TIMEOUT_CODES.has(code)) return { failure: S3Failures.TIMEOUT, retriable: true };
      if (NETWORK_CODES.has(code)) return { failure: S3Failures.NETWORK, retriable: true };
      if (TLS_CODE.test(code)) return { failure: S3Failures.TLS, retriable: false };
    }
    if (typeof e.name === 'string' && CLIENT_ERROR_NAMES.has(e.name)) return { failure: S3Failures.BAD_REQUEST, retriable: false };
  }
  return { failure: S3Failures.UNKNOWN, retriable: false };
}

function classifyS3Code(code: string): S3ErrorClass {
  const retriable = RETRIABLE_S3_CODES.get(code);
  if (retriable !== undefined) return { failure: retriable, retriable: true, s3Code: code };
  if (AUTH_S3_CODES.has(code)) return { failure: S3Failures.AUTH, retriable: false, s3Code: code };
  if (code === 'NoSuchBucket') return { failure: S3Failures.NO_BUCKET, retriable: false, s3Code: code };
  return { failure: S3Failures.BAD_REQUEST, retriable: false, s3Code: code };
}

/** Where a failed call went and what it did, for the message. Never holds a secret. */
export interface S3CallContext {
  readonly operation: string;
  /** The key or prefix, when the call had one. */
  readonly key?: string;
  /** `http(s)://host:port` */
  readonly endpoint: string;
  readonly bucket: string;
}

/** What to check, by failure: a message a person can act on. */
const ADVICE: Readonly<Record<S3Failure, string>> = {
  network: 'check that the S3 server is running and that MINIO_ENDPOINT (and MINIO_SECURE) point at it',
  timeout: 'check that the S3 server is running and not overloaded, and MINIO_TIMEOUT_MS',
  unavailable: 'the S3 server reports trouble of its own: check its health and logs',
  throttled: 'the S3 server asks for fewer requests: check its load and quotas',
  auth: 'check MINIO_ACCESS_KEY and MINIO_SECRET_KEY (and MINIO_REGION against AWS), and that this key may use the bucket',
  no_bucket: 'the bucket is gone although it was there or created at start: check MINIO_BUCKET_NAME and who deletes it',
  tls: 'check the server certificate, or MINIO_SECURE / the scheme of MINIO_ENDPOINT',
  bad_request: 'the request was refused as invalid',
  unknown: 'check the S3 server and MINIO_ENDPOINT',
};

/** Wraps what a minio-js call threw in an ObjectStoreError that names the server and what to check. */
export function objectStoreErrorFrom(err: unknown, context: S3CallContext): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  const c = classifyS3Error(err);
  const what = context.key === undefined ? context.operation : `${context.operation} ${JSON.stringify(context.key)}`;
  const reason = describe(err, c);
  return new ObjectStoreError(`S3 ${what} (bucket ${context.bucket} at ${context.endpoint}) failed (${c.failure}): ${reason}; ${ADVICE[c.failure]}`, {
    retriable: c.retriable,
    cause: err,
    details: {
      failure: c.failure,
      endpoint: context.endpoint,
      bucket: context.bucket,
      operation: context.operation,
      ...(context.key !== undefined ? { key: context.key } : {}),
      ...(c.s3Code !== undefined ? { s3Code: c.s3Code } : {}),
      ...(c.status !== undefined ? { status: c.status } : {}),
    },
  });
}

/** The failure's own words: the S3 code and message, the HTTP status or the socket error. */
function describe(err: unknown, c: S3ErrorClass): string {
  const message = err instanceof Error ? err.message : String(err);
  if (c.s3Code !== undefined) return message === '' ? c.s3Code : `${c.s3Code}: ${message}`;
  if (c.status !== undefined) return `HTTP ${c.status}`;
  const code = errorChain(err).map((e) => e.code).find((v): v is string => typeof v === 'string' && v !== '');
  if (message !== '') return message;
  return code ?? (err instanceof Error ? err.name : 'unknown error');
}

interface ErrorFields {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

/** The error, its causes and (for AggregateError, as Node's connect attempts throw) its members. */
function errorChain(err: unknown): ErrorFields[] {
  const chain: ErrorFields[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && chain.length < MAX_CAUSE_DEPTH) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null) continue;
    const fields: ErrorFields = e;
    chain.push(fields);
    if (fields.cause !== undefined) queue.push(fields.cause);
    if (Array.isArray(fields.errors)) queue.push(...(fields.errors as unknown[]));
  }
  return chain;
}
