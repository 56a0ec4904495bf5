import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';
import { UsageError } from './usage-error.ts';

/** Runs `call`; an unknown model (or none promoted yet) becomes a usage error: exit 2, with the message. */
export async function notFoundAsUsage<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StreamForgeError && err.code === ErrorCodes.NOT_FOUND) throw new UsageError(err.message);
    throw err;
  }
}
