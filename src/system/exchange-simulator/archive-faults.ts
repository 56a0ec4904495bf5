import { createHash } from 'node:crypto';
import { unzipSync, zipSync } from 'fflate';
import type { HttpBytesResponse, HttpClient, HttpRequestOptions } from '../../actors/ports/index.ts';
import { ErrorCodes, ExchangeError } from '../../protocol/index.ts';

/**
 * Faults of archive files beyond the simulator's `missing` and `corrupt`, injected in front of an
 * HTTP client that talks to the simulator: the real files are fetched and then changed, so that the
 * loader sees what the real archive has served (repeated lines, bad rows behind a valid checksum),
 * a host that stalls, or one that cannot be reached at all.
 */
export interface ArchiveFaults {
  /**
   * Zip names (e.g. `BTCUSDT-1m-2024-11.zip`) whose CSV lines are rewritten; the zip is built again
   * and its `.CHECKSUM` matches it, as when the archive published a bad file.
   */
  readonly rewrite?: Readonly<Record<string, (lines: string[]) => string[]>>;
  /** Zip names whose zip and `.CHECKSUM` requests never answer (until their signal aborts). */
  readonly stalled?: readonly string[];
  /** Zip names whose requests fail as an unreachable host does; `'all'` for every archive file. */
  readonly unreachable?: readonly string[] | 'all';
}

export interface FaultyArchiveHttp extends HttpClient {
  /** Paths of the archive requests seen, faulty or not, in order. */
  readonly archivePaths: string[];
  /** Requests under way that will get an answer (stalled ones never do): a test moving fake time waits for none. */
  readonly answering: () => number;
}

const ARCHIVE_PATH = /^\/data\/spot\/(monthly|daily)\//;

/** `http` with `faults` applied to the archive's files; every other request passes through. */
export function withArchiveFaults(http: HttpClient, faults: ArchiveFaults): FaultyArchiveHttp {
  const rewritten = new Map<string, Promise<{ zip: Uint8Array; checksum: string }>>();
  const archivePaths: string[] = [];

  async function rewrite(url: string, zipName: string, change: (lines: string[]) => string[], options?: HttpRequestOptions) {
    const zipUrl = url.endsWith('.CHECKSUM') ? url.slice(0, -'.CHECKSUM'.length) : url;
    // The zip, whichever of the two asked: not within the bound of a `.CHECKSUM` (the reader checks the rewritten zip's size).
    const { maxBytes: _checksumBound, ...zipOptions } = options ?? {};
    const res = await http.getBytes(zipUrl, zipOptions);
    if (res.status !== 200) throw new Error(`${zipName}: the simulator answered ${res.status}`);
    const entries = unzipSync(res.body);
    const [name, csv] = Object.entries(entries)[0] ?? [];
    if (name === undefined || csv === undefined) throw new Error(`${zipName}: empty zip`);
    const lines = new TextDecoder().decode(csv).split('\n').filter((l) => l.length > 0);
    const zip = zipSync({ [name]: [new TextEncoder().encode(`${change(lines).join('\n')}\n`), { level: 1, mtime: Date.UTC(2025, 0, 1) }] });
    return { zip, checksum: `${createHash('sha256').update(zip).digest('hex')}  ${zipName}\n` };
  }

  const isUnreachable = (zipName: string): boolean => faults.unreachable === 'all' || (faults.unreachable?.includes(zipName) ?? false);
  let answering = 0;
  const counted = async <T>(request: () => Promise<T>): Promise<T> => {
    answering++;
    try {
      return await request();
    } finally {
      answering--;
    }
  };

  return {
    archivePaths,
    answering: () => answering,
    get: (url, options) => counted(() => http.get(url, options)),
    async getBytes(url: string, options?: HttpRequestOptions): Promise<HttpBytesResponse> {
      const path = new URL(url).pathname;
      if (!ARCHIVE_PATH.test(path)) return counted(() => http.getBytes(url, options));
      archivePaths.push(path);
      const fileName = path.slice(path.lastIndexOf('/') + 1);
      const zipName = fileName.endsWith('.CHECKSUM') ? fileName.slice(0, -'.CHECKSUM'.length) : fileName;
      if (isUnreachable(zipName)) {
        throw new ExchangeError(ErrorCodes.EXCHANGE_UNREACHABLE, `cannot reach ${new URL(url).host}: ECONNREFUSED`, { retriable: true });
      }
      if (faults.stalled?.includes(zipName)) {
        return new Promise<never>((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error), { once: true });
        });
      }
      const change = faults.rewrite?.[zipName];
      if (!change) return counted(() => http.getBytes(url, options));
      let file = rewritten.get(zipName);
      if (!file) {
        file = counted(() => rewrite(url, zipName, change, options));
        rewritten.set(zipName, file);
        // A failed fetch (an abort) is fetched again next time.
        file.catch(() => rewritten.delete(zipName));
      }
      const { zip, checksum } = await file;
      const body = fileName.endsWith('.CHECKSUM') ? new TextEncoder().encode(checksum) : zip;
      return { status: 200, headers: {}, body };
    },
  };
}
