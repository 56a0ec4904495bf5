/**
 * Every StreamForge error has a stable `code`, says whether retrying can help (`retriable`),
 * and keeps its `cause`. Across the bus errors travel as {@link ErrorInfo}: `instanceof`
 * does not survive serialisation.
 */
import { z } from 'zod';

export const ErrorCodes = {
  CONFIG_INVALID: 'SF_ERR_CONFIG_INVALID',
  USAGE: 'SF_ERR_USAGE',
  VALIDATION: 'SF_ERR_VALIDATION',
  NOT_FOUND: 'SF_ERR_NOT_FOUND',
  CONFLICT: 'SF_ERR_CONFLICT',
  UNAUTHORIZED: 'SF_ERR_UNAUTHORIZED',
  /** A foreign `Origin` or `Host` (DNS rebinding, cross-site requests). */
  FORBIDDEN: 'SF_ERR_FORBIDDEN',
  METHOD_NOT_ALLOWED: 'SF_ERR_METHOD_NOT_ALLOWED',
  UNSUPPORTED_MEDIA_TYPE: 'SF_ERR_UNSUPPORTED_MEDIA_TYPE',
  /** Too many requests from one client: retry after the time given. */
  RATE_LIMITED: 'SF_ERR_RATE_LIMITED',
  /** As many workflows are active as allowed (`MAX_ACTIVE_WORKFLOWS`). */
  TOO_MANY_WORKFLOWS: 'SF_ERR_TOO_MANY_WORKFLOWS',
  PROTOCOL: 'SF_ERR_PROTOCOL',
  EXCHANGE_BAD_REQUEST: 'SF_ERR_EXCHANGE_BAD_REQUEST',
  EXCHANGE_RATE_LIMITED: 'SF_ERR_EXCHANGE_RATE_LIMITED',
  EXCHANGE_BANNED: 'SF_ERR_EXCHANGE_BANNED',
  EXCHANGE_UNAVAILABLE: 'SF_ERR_EXCHANGE_UNAVAILABLE',
  EXCHANGE_UNREACHABLE: 'SF_ERR_EXCHANGE_UNREACHABLE',
  EXCHANGE_RESPONSE_INVALID: 'SF_ERR_EXCHANGE_RESPONSE_INVALID',
  /** An answer longer than the caller's bound (an archive download over `ARCHIVE_MAX_DOWNLOAD_BYTES`); never retriable. */
  EXCHANGE_RESPONSE_TOO_LARGE: 'SF_ERR_EXCHANGE_RESPONSE_TOO_LARGE',
  ARCHIVE_FILE_CORRUPT: 'SF_ERR_ARCHIVE_FILE_CORRUPT',
  BUS: 'SF_ERR_BUS',
  STORE: 'SF_ERR_STORE',
  OBJECT_STORE: 'SF_ERR_OBJECT_STORE',
  /** A stored model's files do not match the checksums its metadata recorded, or are missing. */
  MODEL_CORRUPT: 'SF_ERR_MODEL_CORRUPT',
  STAGE_FAILED: 'SF_ERR_STAGE_FAILED',
  RESTART_BUDGET_EXHAUSTED: 'SF_ERR_RESTART_BUDGET_EXHAUSTED',
  WORKFLOW_STOPPED: 'SF_ERR_WORKFLOW_STOPPED',
  UNAVAILABLE: 'SF_ERR_UNAVAILABLE',
  INTERNAL: 'SF_ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The wire form of an error: what telemetry, dead letters and API bodies carry. */
export const ErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  retriable: z.boolean().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export interface StreamForgeErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  details?: Readonly<Record<string, unknown>>;
}

export class StreamForgeError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: StreamForgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, retriable: this.retriable };
  }
}

export class ConfigError extends StreamForgeError {
  constructor(message: string, options: StreamForgeErrorOptions = {}) {
    super(ErrorCodes.CONFIG_INVALID, message, options);
  }
}

export class ValidationError extends StreamForgeError {
  constructor(message: string, options: StreamForgeErrorOptions = {}) {
    super(ErrorCodes.VALIDATION, message, options);
  }
}

export class ProtocolError extends StreamForgeError {
  constructor(message: string, options: StreamForgeErrorOptions = {}) {
    super(ErrorCodes.PROTOCOL, message, options);
  }
}

export class ExchangeError extends StreamForgeError {
  /** HTTP status the exchange answered with, when it answered. */
  readonly status: number | undefined;
  /** Seconds the exchange asked us to wait (`Retry-After`), when given. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: StreamForgeErrorOptions & { status?: number; retryAfterSeconds?: number } = {},
  ) {
    super(code, message, options);
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class BusError extends StreamForgeError {
  constructor(message: string, options: StreamForgeErrorOptions = {}) {
    super(ErrorCodes.BUS, message, { retriable: true, ...options });
  }
}

export class StoreError extends StreamForgeError {
  constructor(message: string, options: StreamForgeErrorOptions = {}) {
    super(ErrorCodes.STORE, message, options);
  }
}

/**
 * Where models live (an S3 bucket or a directory) failed. `retriable` when the same call may succeed
 * later (server down, 5xx, timeouts, SlowDown); not for refused credentials, a missing bucket or a bad key.
 */
export class ObjectStoreError extends StreamForgeError {
  constructor(message: string, options: StreamForgeErrorOptions = {}) {
    super(ErrorCodes.OBJECT_STORE, message, options);
  }
}

/** Turns anything thrown into the wire form, keeping code and retriable when known. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof StreamForgeError) return err.toInfo();
  if (err instanceof Error) return { code: ErrorCodes.INTERNAL, message: err.message, retriable: false };
  return { code: ErrorCodes.INTERNAL, message: String(err), retriable: false };
}

export function isRetriable(err: unknown): boolean {
  return err instanceof StreamForgeError && err.retriable;
}
