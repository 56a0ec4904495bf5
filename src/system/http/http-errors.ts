import { ErrorCodes, ExchangeError, StreamForgeError } from '../../protocol/index.ts';
import type { ErrorBody, ErrorCode } from '../../protocol/index.ts';

/** The one table from error codes to HTTP statuses. */
const STATUS_OF: Readonly<Record<string, number>> = {
  [ErrorCodes.VALIDATION]: 400,
  [ErrorCodes.USAGE]: 400,
  [ErrorCodes.UNAUTHORIZED]: 401,
  [ErrorCodes.FORBIDDEN]: 403,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.METHOD_NOT_ALLOWED]: 405,
  [ErrorCodes.CONFLICT]: 409,
  [ErrorCodes.TOO_MANY_WORKFLOWS]: 409,
  [ErrorCodes.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCodes.RATE_LIMITED]: 429,
  [ErrorCodes.STORE]: 503,
  [ErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.BUS]: 503,
  [ErrorCodes.EXCHANGE_BAD_REQUEST]: 502,
  [ErrorCodes.EXCHANGE_UNAVAILABLE]: 502,
  [ErrorCodes.EXCHANGE_UNREACHABLE]: 502,
  [ErrorCodes.EXCHANGE_RESPONSE_INVALID]: 502,
  [ErrorCodes.EXCHANGE_RATE_LIMITED]: 503,
  [ErrorCodes.EXCHANGE_BANNED]: 503,
  [ErrorCodes.OBJECT_STORE]: 503,
  [ErrorCodes.MODEL_CORRUPT]: 500,
};

/**
 * Codes whose message is written by us for the caller (what was wrong, what is accepted) and says
 * nothing of our insides. Every other message (a SQLite or ArangoDB text, an exchange's host name,
 * a stack) goes to the log only; the answer says what kind of trouble it was and the request id.
 */
const CALLER_MESSAGES: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.VALIDATION,
  ErrorCodes.USAGE,
  ErrorCodes.UNAUTHORIZED,
  ErrorCodes.FORBIDDEN,
  ErrorCodes.NOT_FOUND,
  ErrorCodes.METHOD_NOT_ALLOWED,
  ErrorCodes.CONFLICT,
  ErrorCodes.TOO_MANY_WORKFLOWS,
  ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
  ErrorCodes.RATE_LIMITED,
  ErrorCodes.UNAVAILABLE,
]);

/** What an answer says when the message itself stays in the log. */
const GENERIC_MESSAGE: Readonly<Record<string, string>> = {
  [ErrorCodes.STORE]: 'the store is unavailable; retry shortly',
  [ErrorCodes.BUS]: 'the bus is unavailable; retry shortly',
  [ErrorCodes.EXCHANGE_BAD_REQUEST]: 'the exchange refused a request of ours',
  [ErrorCodes.EXCHANGE_UNAVAILABLE]: 'the exchange failed; retry later',
  [ErrorCodes.EXCHANGE_UNREACHABLE]: 'the exchange could not be reached; retry later',
  [ErrorCodes.EXCHANGE_RESPONSE_INVALID]: 'the exchange answered something we could not read',
  [ErrorCodes.EXCHANGE_RATE_LIMITED]: 'the exchange rate-limited this server; retry later',
  [ErrorCodes.EXCHANGE_BANNED]: 'the exchange banned this server for a while; retry later',
  [ErrorCodes.OBJECT_STORE]: 'the model store is unavailable; retry shortly',
  [ErrorCodes.MODEL_CORRUPT]: "the model's files do not match their checksums; train it again",
};

/** The exchange answered 400 to what the caller asked for (an unknown symbol, -1121): the caller's input. */
function isCallersInputRefused(err: unknown): boolean {
  return err instanceof ExchangeError && err.code === ErrorCodes.EXCHANGE_BAD_REQUEST && err.status === 400;
}

export function httpStatusOf(err: unknown): number {
  // Its other refusals (401, 403, 451 from a restricted location) are ours or the exchange's, not
  // the caller's: 502 like its failures.
  if (isCallersInputRefused(err)) return 400;
  if (err instanceof StreamForgeError) return STATUS_OF[err.code] ?? 500;
  return 500;
}

/** The `{code, message}` an error is answered with; `requestId` names it in the log. */
export function errorBody(err: unknown, requestId: string): ErrorBody {
  if (err instanceof StreamForgeError) {
    if (CALLER_MESSAGES.has(err.code) || isCallersInputRefused(err)) return { code: err.code, message: err.message };
    const generic = GENERIC_MESSAGE[err.code] ?? 'internal error';
    return { code: err.code, message: `${generic} (request id ${requestId})` };
  }
  return { code: ErrorCodes.INTERNAL, message: `internal error (request id ${requestId})` };
}

/** Headers an error answer carries: the scheme on 401, when to come back on 429. */
export function errorHeaders(err: unknown): Record<string, string> {
  if (!(err instanceof StreamForgeError)) return {};
  if (err.code === ErrorCodes.UNAUTHORIZED) return { 'www-authenticate': 'Bearer realm="streamforge"' };
  const retryAfter = err.details?.['retryAfterSeconds'];
  if (err.code === ErrorCodes.RATE_LIMITED && typeof retryAfter === 'number') return { 'retry-after': String(Math.max(1, Math.ceil(retryAfter))) };
  const allow = err.details?.['allow'];
  if (err.code === ErrorCodes.METHOD_NOT_ALLOWED && typeof allow === 'string') return { allow };
  return {};
}
