import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';

/** The one root logger: JSON to stderr (stdout is for command output), secrets redacted. */
export function createLogger(level: string, name = 'streamforge'): PinoLogger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: ['*.password', '*.KAFKA_PASSWORD', '*.ARANGO_PASSWORD', '*.STREAMFORGE_API_TOKEN', '*.MINIO_SECRET_KEY', '*.secretKey', '*.authorization'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
