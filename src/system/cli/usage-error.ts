import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';

/** Bad command-line input: printed with the usage, exit code 2. */
export class UsageError extends StreamForgeError {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(ErrorCodes.USAGE, message, options);
  }
}
