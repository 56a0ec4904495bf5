import { createHash } from 'node:crypto';
import { ErrorCodes, ExchangeError } from '../../protocol/index.ts';
import type { Clock, HttpBytesResponse, HttpClient, Logger, Timer } from '../ports/index.ts';
import { retry } from '../retry/index.ts';
import type { BackoffPolicy } from '../retry/index.ts';
import { ArchiveFileCorruptError } from './archive-file-corrupt-error.ts';
import { archiveChecksumUrl, archiveFileName, archiveFileUrl } from './archive-paths.ts';
import type { ArchiveFileRef } from './archive-paths.ts';
import { unzipCsv } from './unzip-csv.ts';

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
  /** The largest zip downloaded: a longer answer is cut off and the file counts as corrupt. @defaultValue {@link DEFAULT_MAX_ZIP_BYTES} */
  readonly maxZipBytes?: number;
  /** The largest CSV unzipped: an entry declaring (or inflating to) more makes the file corrupt. @defaultValue {@link DEFAULT_MAX_CSV_BYTES} */
  readonly maxCsvBytes?: number;
}

/**
 * The biggest real archive zips are tens of MB (a month of 1s klines; a busy day of BTCUSDT
 * aggTrades): 256 MiB leaves room to grow without letting a host fill memory.
 */
export const DEFAULT_MAX_ZIP_BYTES = 256 * 1024 * 1024;
/**
 * The biggest real CSVs are a few hundred MB (a month of 1s klines is ~400 MB, a busy day of
 * BTCUSDT aggTrades a few hundred): 1 GiB leaves room to grow; a bomb stops there.
 */
export const DEFAULT_MAX_CSV_BYTES = 1024 * 1024 * 1024;
/** A `.CHECKSUM` is one line of ~100 bytes. */
const MAX_CHECKSUM_BYTES = 4096;

const CHECKSUM_LINE = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/;

/** 404/403 (S3 answers 403 for a missing key when listing is not allowed) mean "not published". */
const isNotFound = (status: number): boolean => status === 404 || status === 403;

/** The HTTP client's answer to a body over `maxBytes` (see {@link HttpRequestOptions.maxBytes}). */
const isTooLarge = (err: unknown): boolean => err instanceof ExchangeError && err.code === ErrorCodes.EXCHANGE_RESPONSE_TOO_LARGE;

/** A download over its bound: never retried (the same file would come back), and the file counts as corrupt. */
class TooLarge extends ExchangeError {
  constructor(url: string, maxBytes: number, cause?: unknown) {
    const name = url.slice(url.lastIndexOf('/') + 1);
    super(ErrorCodes.EXCHANGE_RESPONSE_TOO_LARGE, `${name} is larger than the ${maxBytes} bytes allowed`, { retriable: false, cause });
  }
}

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
async function getBytes(url: string, maxBytes: number, opts: ArchiveFileOptions, signal: AbortSignal): Promise<Uint8Array | NotPublished> {
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
    const request = opts.http.getBytes(url, { timeoutMs: opts.timeoutMs ?? 60_000, signal: AbortSignal.any([signal, attempt.signal]), maxBytes });
    res = await Promise.race([request, ended]);
  } catch (err) {
    if (isTooLarge(err)) throw new TooLarge(url, maxBytes, err);
    throw err;
  } finally {
    timer?.cancel();
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
  // Also when the HTTP client ignored the bound: the bytes must not go further.
  if (res.status === 200 && res.body.length > maxBytes) throw new TooLarge(url, maxBytes);
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
  const download = (url: string, maxBytes: number) =>
    retry(() => getBytes(url, maxBytes, opts, signal), opts.retry, {
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
    [checksum, zip] = await Promise.all([
      download(archiveChecksumUrl(opts.baseUrl, ref), MAX_CHECKSUM_BYTES),
      download(archiveFileUrl(opts.baseUrl, ref), opts.maxZipBytes ?? DEFAULT_MAX_ZIP_BYTES),
    ]);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    if (err instanceof TooLarge) return { outcome: 'corrupt', file, error: new ArchiveFileCorruptError(file, err.message, { cause: err }) };
    opts.log.warn({ err, file }, 'archive file unreachable: falling back');
    return { outcome: 'missing', file, reason: err instanceof Error ? err.message : String(err), unreachable: true };
  }
  if (checksum instanceof NotPublished) return { outcome: 'missing', file, reason: `HTTP ${checksum.status}`, unreachable: false };
  if (zip instanceof NotPublished) return { outcome: 'missing', file, reason: `HTTP ${zip.status}`, unreachable: false };
  try {
    const expected = expectedSha256(new TextDecoder().decode(checksum), file);
    const actual = createHash('sha256').update(zip).digest('hex');
    if (actual !== expected) throw new ArchiveFileCorruptError(file, `SHA-256 ${actual} does not match its .CHECKSUM ${expected}`);
    return { outcome: 'ok', file, csv: unzipCsv(zip, file, opts.maxCsvBytes ?? DEFAULT_MAX_CSV_BYTES), zipBytes: zip.length };
  } catch (err) {
    if (err instanceof ArchiveFileCorruptError) return { outcome: 'corrupt', file, error: err };
    throw err;
  }
}
