import { ErrorCodes, ExchangeError, StreamForgeError } from '../../protocol/index.ts';
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
  [ErrorCodes.EXCHANGE_BAD_REQUEST]: 502,
  [ErrorCodes.EXCHANGE_UNAVAILABLE]: 502,
  [ErrorCodes.EXCHANGE_UNREACHABLE]: 502,
  [ErrorCodes.EXCHANGE_RESPONSE_INVALID]: 502,
  [ErrorCodes.EXCHANGE_RATE_LIMITED]: 503,
  [ErrorCodes.EXCHANGE_BANNED]: 503,
};

export function httpStatusOf(err: unknown): number {
  // The exchange answered 400 to what the caller asked for (an unknown symbol, -1121): the caller's
  // input, told in the exchange's words. Its other refusals (401, 403, 451 from a restricted
  // location) are ours or the exchange's, not the caller's: 502 like its failures.
  if (err instanceof ExchangeError && err.code === ErrorCodes.EXCHANGE_BAD_REQUEST && err.status === 400) return 400;
  if (err instanceof StreamForgeError) return STATUS_OF[err.code] ?? 500;
  return 500;
}

export function errorBody(err: unknown): ErrorBody {
  if (err instanceof StreamForgeError) return { code: err.code, message: err.message };
  return { code: ErrorCodes.INTERNAL, message: 'internal error' };
}
