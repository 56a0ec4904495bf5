import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';
import type { StreamForgeErrorOptions } from '../../protocol/index.ts';

/**
 * An archive file that does not match its `.CHECKSUM`, does not unzip, or holds rows that are not
 * the archive's format. Never retriable: the same bytes would come back; the planner falls back to
 * smaller files or REST instead.
 */
export class ArchiveFileCorruptError extends StreamForgeError {
  /** The zip's name, e.g. `BTCUSDT-1m-2024-07.zip`. */
  readonly file: string;

  constructor(file: string, reason: string, options: Omit<StreamForgeErrorOptions, 'retriable'> = {}) {
    super(ErrorCodes.ARCHIVE_FILE_CORRUPT, `archive file ${file} is corrupt: ${reason}`, { ...options, retriable: false });
    this.file = file;
  }
}
