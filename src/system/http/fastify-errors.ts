import type { FastifyError } from 'fastify';
import { ErrorCodes, StreamForgeError, ValidationError } from '../../protocol/index.ts';

/**
 * What fastify itself refuses (a body too large or of another type, a malformed URL) in the house
 * error: a code from the table and a message naming what is accepted. Anything else passes through
 * (and is a 500 unless it is a StreamForgeError).
 */
export function fromFastifyError(err: unknown, bodyLimitBytes: number, contentType: string | undefined): unknown {
  if (err instanceof StreamForgeError || !isFastifyError(err)) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new StreamForgeError(
        ErrorCodes.UNSUPPORTED_MEDIA_TYPE,
        `a body of type ${JSON.stringify(contentType ?? '(none)')} is not accepted; accepted: application/json`,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ValidationError(`body larger than ${bodyLimitBytes} bytes; accepted: at most HTTP_BODY_LIMIT_BYTES (${bodyLimitBytes})`);
    default:
      // Fastify's other refusals of the request (a bad URL, a bad content length) name what was wrong.
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return new ValidationError(err.message, { cause: err });
      return err;
  }
}

function isFastifyError(err: unknown): err is FastifyError {
  return err instanceof Error && typeof (err as Partial<FastifyError>).code === 'string' && (err as FastifyError).code.startsWith('FST_');
}
