import { logLevel } from 'kafkajs';
import type { LogEntry, logCreator } from 'kafkajs';
import type { Logger } from '../../actors/ports/index.ts';

/**
 * kafkajs warnings we cause on purpose. The bus bounds the idempotent producer's retries so that
 * produce() can give up within its timeout, then replaces the producer (see KafkaBus), which keeps
 * the guarantee the warning is about.
 */
const EXPECTED = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);

/** Routes kafkajs's own log lines (warn and error only) into the port's logger. */
export function kafkaLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _timestamp, ...extra } = entry;
      const fields = { namespace, detail: message, ...extra };
      // ensureTopics treats TOPIC_ALREADY_EXISTS as success; kafkajs logs the response as an error first.
      const expectedError = namespace === 'Connection' && message.startsWith('Response CreateTopics');
      if (level === logLevel.ERROR) {
        if (expectedError) log.debug(fields, 'kafka client error');
        else log.error(fields, 'kafka client error');
      }
      else if (level === logLevel.WARN) {
        if (EXPECTED.has(message)) log.debug(fields, 'kafka client warning');
        else log.warn(fields, 'kafka client warning');
      }
    };
}
