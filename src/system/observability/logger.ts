import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import type { Config } from '../config/index.ts';
import { humanLogLine } from './human-log-line.ts';
import { statusBlockOf } from './status-block.ts';

/** Where logs go and what it is: stderr (stdout is for command output). */
export interface LogOutput {
  readonly stream: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** The stream's file descriptor, written to directly for JSON. */
  readonly fd?: number;
}

const STDERR: LogOutput = { stream: process.stderr, fd: 2 };

/** True when entries are written as human lines rather than JSON (`LOG_FORMAT`, `auto`: on a terminal). */
export function humanLogs(format: Config['LOG_FORMAT'], output: LogOutput = STDERR): boolean {
  return format === 'human' || (format === 'auto' && output.stream.isTTY === true);
}

/**
 * The one root logger, secrets redacted: human lines on a terminal, JSON otherwise (see
 * `LOG_FORMAT`). Errors under `err` keep their stack only at `debug` and `trace`: elsewhere a
 * message and a code say what a user can act on.
 */
export function createLogger(settings: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>, output: LogOutput = STDERR): PinoLogger {
  const withStack = settings.LOG_LEVEL === 'debug' || settings.LOG_LEVEL === 'trace';
  return pino(
    {
      name: 'streamforge',
      level: settings.LOG_LEVEL,
      redact: {
        paths: ['*.password', '*.KAFKA_PASSWORD', '*.ARANGO_PASSWORD', '*.STREAMFORGE_API_TOKEN', '*.MINIO_SECRET_KEY', '*.secretKey', '*.authorization'],
        censor: '[redacted]',
      },
      serializers: { err: withStack ? pino.stdSerializers.err : errorWithoutStack },
    },
    humanLogs(settings.LOG_FORMAT, output) ? humanDestination(output, withStack) : jsonDestination(output),
  );
}

function jsonDestination(output: LogOutput): DestinationStream {
  return output.fd !== undefined ? pino.destination({ fd: output.fd, sync: false }) : output.stream;
}

/**
 * Each JSON entry rewritten as one line; on a terminal printed above a progress display, if one is
 * shown. Synchronous, in this thread: a CLI logs little, and a worker thread would cost start-up.
 */
function humanDestination(output: LogOutput, withStack: boolean): DestinationStream {
  const tty = output.stream.isTTY === true;
  return {
    write(json: string): void {
      const line = `${humanLogLine(JSON.parse(json) as Record<string, unknown>, withStack)}\n`;
      if (tty) statusBlockOf(output.stream).print(line);
      else output.stream.write(line);
    },
  };
}

type SerializedError = ReturnType<typeof pino.stdSerializers.err>;

/**
 * pino's error serializer without the stacks (the error's and its causes'), and with the causes'
 * messages added only where the message does not say them already.
 */
function errorWithoutStack(err: Error): SerializedError {
  const serialized: unknown = pino.stdSerializers.err(err);
  // Anything logged under `err` that is not an error comes back as it was.
  if (!(err instanceof Error) || typeof serialized !== 'object' || serialized === null) return serialized as SerializedError;
  const { stack: _stack, ...rest } = serialized as Record<string, unknown>;
  return { ...rest, message: messageWithNewCauses(err) } as SerializedError;
}

function messageWithNewCauses(err: Error): string {
  let message = err.message;
  for (let cause = err.cause, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause.message !== '' && !message.includes(cause.message)) message += `: ${cause.message}`;
  }
  return message;
}
