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
};

export function httpStatusOf(err: unknown): number {
  if (err instanceof StreamForgeError) return STATUS_OF[err.code] ?? 500;
  return 500;
}

export function errorBody(err: unknown): ErrorBody {
  if (err instanceof StreamForgeError) return { code: err.code, message: err.message };
  return { code: ErrorCodes.INTERNAL, message: 'internal error' };
}
