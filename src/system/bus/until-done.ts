import { retry } from '../../actors/retry/index.ts';
import type { BackoffPolicy } from '../../actors/retry/index.ts';
import type { Clock } from '../../actors/ports/index.ts';
import { BusError } from '../../protocol/index.ts';
import { kafkaBusError } from './kafka-bus-error.ts';

/** Between attempts: 100 ms doubling to 1 s, jittered; no budget of attempts, the time limit ends it. */
export const KAFKA_ADMIN_RETRY: BackoffPolicy = Object.freeze({ baseMs: 100, capMs: 1_000, jitter: 'equal' });

/**
 * Runs a Kafka operation until it succeeds, through retriable errors (kafkajs's own flag, as
 * {@link kafkaBusError} carries it), for at most `timeoutMs`; a non-retriable error ends it at once.
 * Past the time limit it fails with a BusError saying what and the last cause: non-retriable, unless
 * `retriableWhenLate` (a caller higher up may still wait longer, e.g. for a broker to come back).
 */
export function untilDone<T>(
  what: string,
  operation: () => Promise<T>,
  options: { readonly clock: Clock; readonly timeoutMs: number; readonly retriableWhenLate?: boolean },
): Promise<T> {
  const { clock, timeoutMs } = options;
  const deadline = clock.now() + timeoutMs;
  let attempts = 0;
  return retry(
    async () => {
      attempts++;
      try {
        return await operation();
      } catch (err) {
        const error = kafkaBusError(err, what);
        if (!error.retriable || clock.now() < deadline) throw error;
        throw new BusError(`${what}: not done after ${timeoutMs} ms (${attempts} attempts); last error: ${error.message}`, { retriable: options.retriableWhenLate ?? false, cause: error });
      }
    },
    KAFKA_ADMIN_RETRY,
    { clock },
  );
}
