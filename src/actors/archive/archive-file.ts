import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { ErrorCodes, ExchangeError } from '../../protocol/index.ts';
import type { Clock, HttpBytesResponse, HttpClient, Logger, Timer } from '../ports/index.ts';
import { retry } from '../retry/index.ts';
import type { BackoffPolicy } from '../retry/index.ts';
import { ArchiveFileCorruptError } from './archive-file-corrupt-error.ts';
import { archiveChecksumUrl, archiveFileName, archiveFileUrl } from './archive-paths.ts';
import type { ArchiveFileRef } from './archive-paths.ts';

/** What reading one archive file came to. */
export type ArchiveFileResult =
  /** Verified against its `.CHECKSUM` and unzipped: the CSV's bytes. */
  | { readonly outcome: 'ok'; readonly file: string; readonly csv: Uint8Array; readonly zipBytes: number }
  /**
   * Not published (404, 403), or `unreachable`: no answer, or only errors, within the attempts. The
   * planner falls back either way.
   */
  | { readonly outcome: 'missing'; readonly file: string; readonly reason: string; readonly unreachable: boolean }
  | { readonly outcome: 'corrupt'; readonly file: string; readonly error: ArchiveFileCorruptError };

export interface ArchiveFileOptions {
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** e.g. `https://data.binance.vision`. */
  readonly baseUrl: string;
  /** How a download is retried on network errors, timeouts, 5xx and 429 (the `archiveDownload` policy). */
  readonly retry: BackoffPolicy;
  readonly signal?: AbortSignal | undefined;
  /** Longest wait for the answer, or for more of its body (the HTTP client's timeout). @defaultValue 60000 */
  readonly timeoutMs?: number;
  /**
   * Longest one attempt may take in all, however steadily bytes trickle in: past it the attempt
   * counts as failed, so a file can never hold a loader indefinitely. Generous, as a month of
   * 1s klines or a busy day of trades is a hundred MB or more. @defaultValue 600000
   */
  readonly attemptTimeoutMs?: number;
}

const CHECKSUM_LINE = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/;

/** 404/403 (S3 answers 403 for a missing key when listing is not allowed) mean "not published". */
const isNotFound = (status: number): boolean => status === 404 || status === 403;

class NotPublished {
  readonly status: number;

  constructor(status: number) {
    this.status = status;
  }
}

/**
 * One attempt at `url`, failed (retriable) once it has taken `attemptTimeoutMs`. Raced rather than
 * only aborted, so that an HTTP client ignoring its signal cannot hold the loader either.
 */
async function getBytes(url: string, opts: ArchiveFileOptions, signal: AbortSignal): Promise<Uint8Array | NotPublished> {
  signal.throwIfAborted();
  const limitMs = opts.attemptTimeoutMs ?? 600_000;
  const attempt = new AbortController();
  let timer: Timer | undefined;
  let onAbort: (() => void) | undefined;
  const ended = new Promise<never>((_resolve, reject) => {
    timer = opts.clock.setTimeout(() => {
      reject(new ExchangeError(ErrorCodes.EXCHANGE_UNREACHABLE, `archive download took over ${limitMs} ms`, { retriable: true }));
      attempt.abort();
    }, limitMs);
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  let res: HttpBytesResponse;
  try {
    const request = opts.http.getBytes(url, { timeoutMs: opts.timeoutMs ?? 60_000, signal: AbortSignal.any([signal, attempt.signal]) });
    res = await Promise.race([request, ended]);
  } finally {
    timer?.cancel();
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
  if (res.status === 200) return res.body;
  if (isNotFound(res.status)) return new NotPublished(res.status);
  const retriable = res.status >= 500 || res.status === 429;
  throw new ExchangeError(retriable ? ErrorCodes.EXCHANGE_UNAVAILABLE : ErrorCodes.EXCHANGE_BAD_REQUEST, `archive answered HTTP ${res.status}`, {
    status: res.status,
    retriable,
  });
}

/** The expected SHA-256 from a `.CHECKSUM` body: `<hex>  <file>`, the file being this zip. */
function expectedSha256(text: string, file: string): string {
  const line = text.split('\n')[0]?.replace(/\r$/, '') ?? '';
  const match = CHECKSUM_LINE.exec(line);
  if (!match?.[1]) throw new ArchiveFileCorruptError(file, 'its .CHECKSUM is not "<sha256>  <file>"');
  if (match[2] !== file) throw new ArchiveFileCorruptError(file, `its .CHECKSUM names ${match[2]}`);
  return match[1].toLowerCase();
}

/** The one CSV inside: named like the zip, or else the zip's only entry. */
function csvInside(zip: Uint8Array, file: string): Uint8Array {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (err) {
    throw new ArchiveFileCorruptError(file, 'it does not unzip', { cause: err });
  }
  const names = Object.keys(entries);
  const csvName = `${file.slice(0, -'.zip'.length)}.csv`;
  const csv = entries[csvName] ?? (names.length === 1 && names[0] !== undefined ? entries[names[0]] : undefined);
  if (!csv) throw new ArchiveFileCorruptError(file, `expected ${csvName} inside, found ${names.length === 0 ? 'nothing' : names.join(', ')}`);
  return csv;
}

/**
 * Downloads one archive zip and its `.CHECKSUM`, verifies the zip's SHA-256 and unzips its CSV.
 * Network errors, timeouts, 5xx and 429 are retried as `retry` says, within its budget; a file
 * still unreachable then counts as missing (logged at warn: a wrong archive URL must not go
 * unnoticed), so that the planner falls back to smaller files or REST rather than failing the load.
 */
export async function readArchiveFile(ref: ArchiveFileRef, opts: ArchiveFileOptions): Promise<ArchiveFileResult> {
  const file = archiveFileName(ref);
  // Ends the other download when one fails for good: its bytes would be of no use.
  const failed = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal;
  const download = (url: string) =>
    retry(() => getBytes(url, opts, signal), opts.retry, {
      clock: opts.clock,
      signal,
      onRetry: (err, attempt, delayMs) => opts.log.debug({ err, file, attempt, delay_ms: delayMs }, 'archive download retried'),
    }).catch((err: unknown) => {
      failed.abort();
      throw err;
    });
  let checksum: Uint8Array | NotPublished;
  let zip: Uint8Array | NotPublished;
  try {
    // Both at once: one round trip, not two (a missing file answers 404 to both).
    [checksum, zip] = await Promise.all([download(archiveChecksumUrl(opts.baseUrl, ref)), download(archiveFileUrl(opts.baseUrl, ref))]);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    opts.log.warn({ err, file }, 'archive file unreachable: falling back');
    return { outcome: 'missing', file, reason: err instanceof Error ? err.message : String(err), unreachable: true };
  }
  if (checksum instanceof NotPublished) return { outcome: 'missing', file, reason: `HTTP ${checksum.status}`, unreachable: false };
  if (zip instanceof NotPublished) return { outcome: 'missing', file, reason: `HTTP ${zip.status}`, unreachable: false };
  try {
    const expected = expectedSha256(new TextDecoder().decode(checksum), file);
    const actual = createHash('sha256').update(zip).digest('hex');
    if (actual !== expected) throw new ArchiveFileCorruptError(file, `SHA-256 ${actual} does not match its .CHECKSUM ${expected}`);
    return { outcome: 'ok', file, csv: csvInside(zip, file), zipBytes: zip.length };
  } catch (err) {
    if (err instanceof ArchiveFileCorruptError) return { outcome: 'corrupt', file, error: err };
    throw err;
  }
}
