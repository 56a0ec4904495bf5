import { BusError } from '../../protocol/index.ts';

/** TLS verification failures: a misconfiguration (wrong or missing CA_PATH), never fixed by retrying. */
const TLS_VERIFICATION = /SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|self-signed certificate|certificate has expired|unable to verify/i;

/** kafkajs's errors for a connection that could not be made or was lost. */
const NETWORK_ERRORS: ReadonlySet<string> = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError']);

/**
 * Wraps what kafkajs threw in a BusError that keeps it as `cause`. `retriable` follows kafkajs's
 * own flag; exhausted retries count as retriable too, because the cause they gave up on was —
 * except a failed certificate check, which kafkajs retries like a network error.
 */
export function kafkaBusError(err: unknown, what: string): BusError {
  if (err instanceof BusError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new BusError(`${what}: ${detail}`, { retriable: isRetriableKafkaError(err), cause: err });
}

function isRetriableKafkaError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (causeChain(err).some((e) => TLS_VERIFICATION.test(`${codeOf(e)} ${e.message}`))) return false;
  if (err.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  // kafkajs "bails" on some network failures (a fresh idempotent producer whose broker is down):
  // the wrapper says non-retriable, the connection error it wraps is what happened.
  if (err.name === 'KafkaJSNonRetriableError' && causeChain(err).slice(1).some((e) => NETWORK_ERRORS.has(e.name))) return true;
  return (err as Error & { retriable?: unknown }).retriable === true;
}

function causeChain(err: Error): Error[] {
  const chain: Error[] = [];
  let current: unknown = err;
  while (current instanceof Error && chain.length < 10) {
    chain.push(current);
    current = (current as Error & { originalError?: unknown }).originalError ?? current.cause;
  }
  return chain;
}

function codeOf(err: Error): string {
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}
