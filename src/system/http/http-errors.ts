import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';
import type { ErrorBody } from '../../protocol/index.ts';

/** The one table from error codes to HTTP statuses. */
const STATUS_OF: Readonly<Record<string, number>> = {
  [ErrorCodes.VALIDATION]: 400,
  [ErrorCodes.USAGE]: 400,
  [ErrorCodes.UNAUTHORIZED]: 401,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.CONFLICT]: 409,
  [ErrorCodes.STORE]: 503,
  [ErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.BUS]: 503,
  // The exchange refused what was asked for it (an unknown symbol): the caller's input, with the exchange's words.
  [ErrorCodes.EXCHANGE_BAD_REQUEST]: 400,
  [ErrorCodes.EXCHANGE_UNAVAILABLE]: 502,
  [ErrorCodes.EXCHANGE_UNREACHABLE]: 502,
  [ErrorCodes.EXCHANGE_RESPONSE_INVALID]: 502,
  [ErrorCodes.EXCHANGE_RATE_LIMITED]: 503,
  [ErrorCodes.EXCHANGE_BANNED]: 503,
};

export function httpStatusOf(err: unknown): number {
  if (err instanceof StreamForgeError) return STATUS_OF[err.code] ?? 500;
  return 500;
}

export function errorBody(err: unknown): ErrorBody {
  if (err instanceof StreamForgeError) return { code: err.code, message: err.message };
  return { code: ErrorCodes.INTERNAL, message: 'internal error' };
}
