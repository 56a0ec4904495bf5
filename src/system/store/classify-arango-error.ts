import { StoreError } from '../../protocol/index.ts';

/** Why an ArangoDB call failed, as a small fixed set (fit for a metric label). */
export const ArangoFailures = {
  NETWORK: 'network',
  TIMEOUT: 'timeout',
  UNAVAILABLE: 'unavailable',
  CONFLICT: 'conflict',
  CLUSTER: 'cluster',
  NOT_FOUND: 'not_found',
  DOCUMENT: 'document',
  QUERY: 'query',
  AUTH: 'auth',
  UNKNOWN: 'unknown',
} as const;
export type ArangoFailure = (typeof ArangoFailures)[keyof typeof ArangoFailures];

export interface ArangoErrorClass {
  readonly failure: ArangoFailure;
  /** True when the same call may succeed later; false for dead-letter material. */
  readonly retriable: boolean;
  /** ArangoDB's `errorNum`, when the server answered with one. */
  readonly errorNum?: number;
  /** The HTTP status, when the server answered. */
  readonly status?: number;
}

/** `errorNum`s ArangoDB documents as transient: the same request can succeed later. */
const TRANSIENT = new Map<number, ArangoFailure>([
  [3, ArangoFailures.UNAVAILABLE], // out of memory: the server's pressure, not the request's
  [18, ArangoFailures.TIMEOUT], // lock timeout
  [28, ArangoFailures.CONFLICT], // locked
  [29, ArangoFailures.CONFLICT], // deadlock
  [30, ArangoFailures.UNAVAILABLE], // shutting down
  [503, ArangoFailures.UNAVAILABLE], // maintenance mode / service unavailable
  [504, ArangoFailures.TIMEOUT], // gateway timeout
  [1004, ArangoFailures.UNAVAILABLE], // read-only (server or database switched to read-only)
  [1200, ArangoFailures.CONFLICT], // write-write conflict
  [1236, ArangoFailures.TIMEOUT], // write throttle timeout
  [1302, ArangoFailures.UNAVAILABLE], // try again
  [1303, ArangoFailures.UNAVAILABLE], // storage engine busy
  [1521, ArangoFailures.CONFLICT], // query could not lock a collection
  [1600, ArangoFailures.TIMEOUT], // cursor expired: re-running the query works
  [1601, ArangoFailures.CONFLICT], // cursor busy
  [1654, ArangoFailures.CONFLICT], // transaction aborted
  [2001, ArangoFailures.NETWORK], // coordinator could not connect
  [2002, ArangoFailures.NETWORK],
  [2003, ArangoFailures.NETWORK],
  [21003, ArangoFailures.UNAVAILABLE], // scheduler queue full
  // Cluster: leaders moving, servers or shards briefly unreachable.
  ...[1449, 1457, 1464, 1465, 1474, 1478, 1481, 1489, 1490, 1491, 1492, 1495, 1496].map(
    (n) => [n, ArangoFailures.CLUSTER] as const,
  ),
]);

/** `errorNum`s that say the request itself is wrong: retrying cannot help. */
const PERMANENT = new Map<number, ArangoFailure>([
  [11, ArangoFailures.AUTH], // forbidden
  [401, ArangoFailures.AUTH],
  [403, ArangoFailures.AUTH],
  [1202, ArangoFailures.NOT_FOUND], // document not found
  [1203, ArangoFailures.NOT_FOUND], // collection not found
  [1228, ArangoFailures.NOT_FOUND], // database not found
  [1209, ArangoFailures.QUERY], // no suitable index
  ...[600, 1205, 1208, 1210, 1216, 1221, 1222, 1226, 1227, 1229, 1239, 1466, 1620].map(
    // bad JSON, bad handle, illegal name, unique constraint, too large, illegal key, unexpected
    // key, key missing, not an object, bad database name, bad revision, key on a custom-sharded
    // collection, schema validation
    (n) => [n, ArangoFailures.DOCUMENT] as const,
  ),
]);

const TRANSIENT_STATUS = new Map<number, ArangoFailure>([
  [408, ArangoFailures.TIMEOUT],
  [429, ArangoFailures.UNAVAILABLE],
  [502, ArangoFailures.UNAVAILABLE],
  [503, ArangoFailures.UNAVAILABLE],
  [504, ArangoFailures.TIMEOUT],
]);
const PERMANENT_STATUS = new Map<number, ArangoFailure>([
  [401, ArangoFailures.AUTH],
  [403, ArangoFailures.AUTH],
  [404, ArangoFailures.NOT_FOUND],
  [409, ArangoFailures.CONFLICT],
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const NETWORK_NAMES = new Set(['NetworkError', 'FetchFailedError', 'RequestAbortedError']);
const TIMEOUT_NAMES = new Set(['ResponseTimeoutError', 'TimeoutError', 'PropagationTimeoutError']);

/** How deep `cause` chains are followed: arangojs wraps undici's error, which wraps the socket's. */
const MAX_CAUSE_DEPTH = 8;

/**
 * Classifies anything an arangojs call threw: ArangoDB server errors by `errorNum` (then by HTTP
 * status), plain HTTP errors by status, and network failures and timeouts (found along the
 * `cause` chain) as retriable. Pure: duck-typed, so plain objects shaped like arangojs's errors
 * classify the same way.
 */
export function classifyArangoError(err: unknown): ArangoErrorClass {
  if (err instanceof StoreError) return { failure: ArangoFailures.UNKNOWN, retriable: err.retriable };
  const fields = fieldsOf(err);
  if (fields === undefined) return { failure: ArangoFailures.UNKNOWN, retriable: false };
  if (fields.isArangoError === true || typeof fields.errorNum === 'number') return classifyServerError(fields);
  if (fields.name === 'HttpError' && typeof fields.code === 'number') {
    // A 500 without an ArangoDB error body comes from something in front of the server (a proxy,
    // an ingress) having trouble, not from the request.
    if (fields.code === 500) return { failure: ArangoFailures.UNAVAILABLE, retriable: true, status: 500 };
    return classifyStatus(fields.code);
  }
  for (let depth = 0, e: unknown = err; depth < MAX_CAUSE_DEPTH; depth += 1) {
    const f = fieldsOf(e);
    if (f === undefined) break;
    if (TIMEOUT_NAMES.has(String(f.name)) || TIMEOUT_CODES.has(String(f.code))) return { failure: ArangoFailures.TIMEOUT, retriable: true };
    if (NETWORK_NAMES.has(String(f.name)) || NETWORK_CODES.has(String(f.code))) return { failure: ArangoFailures.NETWORK, retriable: true };
    e = f.cause;
  }
  return { failure: ArangoFailures.UNKNOWN, retriable: false };
}

/** True when ArangoDB refused a create because the name exists: someone else created it first. */
export function isDuplicateName(err: unknown): boolean {
  return fieldsOf(err)?.errorNum === 1207;
}

/**
 * True when a conditional write lost: the document's `_rev` no longer matched (`If-Match`, 412 with
 * errorNum 1200) or it was removed meanwhile (1202).
 */
export function isRevisionConflict(err: unknown): boolean {
  const errorNum = fieldsOf(err)?.errorNum;
  return errorNum === 1200 || errorNum === 1202;
}

/** True when the database does not exist (yet). */
export function isDatabaseNotFound(err: unknown): boolean {
  return fieldsOf(err)?.errorNum === 1228;
}

/** Wraps what an arangojs call threw in a StoreError that says whether retrying can help. */
export function storeErrorFrom(err: unknown, operation: string, collection?: string): StoreError {
  if (err instanceof StoreError) return err;
  const c = classifyArangoError(err);
  const what = collection === undefined ? operation : `${operation} on ${collection}`;
  const message = err instanceof Error ? err.message : String(err);
  return new StoreError(`ArangoDB ${what} failed (${c.failure}): ${message}`, {
    cause: err,
    retriable: c.retriable,
    details: {
      failure: c.failure,
      ...(c.errorNum !== undefined ? { errorNum: c.errorNum } : {}),
      ...(c.status !== undefined ? { status: c.status } : {}),
      ...(collection !== undefined ? { collection } : {}),
    },
  });
}

interface ErrorFields {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly errorNum?: unknown;
  readonly isArangoError?: unknown;
  readonly isSafeToRetry?: unknown;
  readonly cause?: unknown;
}

function fieldsOf(value: unknown): ErrorFields | undefined {
  return typeof value === 'object' && value !== null ? value : undefined;
}

function classifyServerError(fields: ErrorFields): ArangoErrorClass {
  const errorNum = typeof fields.errorNum === 'number' ? fields.errorNum : undefined;
  const status = typeof fields.code === 'number' ? fields.code : undefined;
  const known = { ...(errorNum !== undefined ? { errorNum } : {}), ...(status !== undefined ? { status } : {}) };
  if (errorNum !== undefined) {
    const transient = TRANSIENT.get(errorNum);
    if (transient !== undefined) return { failure: transient, retriable: true, ...known };
    const permanent = PERMANENT.get(errorNum);
    if (permanent !== undefined) return { failure: permanent, retriable: false, ...known };
    // Other replication/cluster errors answered with a 5xx: a coordinator's trouble, not the request's.
    if (errorNum >= 1400 && errorNum < 1500 && status !== undefined && status >= 500) {
      return { failure: ArangoFailures.CLUSTER, retriable: true, ...known };
    }
    if (errorNum >= 1500 && errorNum < 1600) return { failure: ArangoFailures.QUERY, retriable: false, ...known };
  }
  // arangojs marks a few answers (e.g. maintenance mode) as safe to repeat.
  if (fields.isSafeToRetry === true) return { failure: ArangoFailures.UNAVAILABLE, retriable: true, ...known };
  return { ...classifyStatus(status), ...known };
}

function classifyStatus(status: number | undefined): ArangoErrorClass {
  if (status === undefined) return { failure: ArangoFailures.UNKNOWN, retriable: false };
  const transient = TRANSIENT_STATUS.get(status);
  if (transient !== undefined) return { failure: transient, retriable: true, status };
  return { failure: PERMANENT_STATUS.get(status) ?? (status < 500 ? ArangoFailures.DOCUMENT : ArangoFailures.UNKNOWN), retriable: false, status };
}
