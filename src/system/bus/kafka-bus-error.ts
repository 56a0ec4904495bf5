import { BusError } from '../../protocol/index.ts';

/**
 * Wraps what kafkajs threw in a BusError that keeps it as `cause`. `retriable` follows kafkajs's
 * own flag; exhausted retries count as retriable too, because the cause they gave up on was.
 */
export function kafkaBusError(err: unknown, what: string): BusError {
  if (err instanceof BusError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new BusError(`${what}: ${detail}`, { retriable: isRetriableKafkaError(err), cause: err });
}

function isRetriableKafkaError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  return (err as Error & { retriable?: unknown }).retriable === true;
}
