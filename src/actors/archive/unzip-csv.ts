import { inflateRawSync } from 'node:zlib';
import { Unzip, unzipSync } from 'fflate';
import type { FlateError, UnzipDecoder } from 'fflate';
import { ArchiveFileCorruptError } from './archive-file-corrupt-error.ts';

/** Entry names quoted in a message, at most. */
const NAMES_QUOTED = 5;
const STORED = 0;
const DEFLATE = 8;

/** One entry as the zip's central directory declares it. */
interface ZipEntry {
  readonly name: string;
  readonly originalSize: number;
  readonly compression: number;
}

/** The entries the central directory lists; nothing is decompressed (fflate's `filter` turns each one down). */
function listEntries(zip: Uint8Array, file: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  try {
    unzipSync(zip, {
      filter: ({ name, originalSize, compression }) => {
        entries.push({ name, originalSize, compression });
        return false;
      },
    });
  } catch (err) {
    throw new ArchiveFileCorruptError(file, 'it does not unzip', { cause: err });
  }
  return entries;
}

function quoted(entries: readonly ZipEntry[]): string {
  const names = entries.slice(0, NAMES_QUOTED).map((e) => e.name);
  return entries.length > NAMES_QUOTED ? `${names.join(', ')}, …` : names.join(', ');
}

/**
 * The one CSV inside an archive zip, unzipped within `maxBytes`. The archive publishes one entry
 * per zip (named like the zip, `.csv` for `.zip`; another name is accepted when it is the only
 * one). Corrupt, and never inflated past its declared size: a zip with more entries, an entry
 * declared larger than `maxBytes`, one that inflates to more (or less) than it declares. Throws
 * {@link ArchiveFileCorruptError} saying which.
 */
export function unzipCsv(zip: Uint8Array, file: string, maxBytes: number): Uint8Array {
  const entries = listEntries(zip, file);
  const csvName = `${file.slice(0, -'.zip'.length)}.csv`;
  const [entry] = entries;
  if (entry === undefined) throw new ArchiveFileCorruptError(file, `expected ${csvName} inside, found nothing`);
  if (entries.length > 1) {
    throw new ArchiveFileCorruptError(file, `it holds ${entries.length} entries (${quoted(entries)}); expected one, ${csvName}`);
  }
  if (entry.originalSize > maxBytes) {
    throw new ArchiveFileCorruptError(file, `${entry.name} declares ${entry.originalSize} bytes unzipped, more than the ${maxBytes} allowed`);
  }
  if (entry.compression !== STORED && entry.compression !== DEFLATE) {
    throw new ArchiveFileCorruptError(file, `${entry.name} uses compression method ${entry.compression}, not deflate`);
  }
  const data = entryData(zip, file, entry);
  const csv = entry.compression === STORED ? data : inflate(data, file, entry);
  if (csv.length !== entry.originalSize) {
    throw new ArchiveFileCorruptError(file, `${entry.name} unzips to ${csv.length} bytes, not the ${entry.originalSize} it declares`);
  }
  return csv;
}

/**
 * Inflates within the declared size: zlib stops and throws as soon as the output would outgrow it,
 * so a header that lies costs one output chunk past the declaration, not the bomb's full size.
 */
function inflate(data: Uint8Array, file: string, entry: ZipEntry): Uint8Array {
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(1, entry.originalSize) });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ArchiveFileCorruptError(file, `${entry.name} inflates to more than the ${entry.originalSize} bytes it declares`, { cause: err });
    }
    throw new ArchiveFileCorruptError(file, 'it does not unzip', { cause: err });
  }
}

/** Hands a deflate entry's bytes on as they are: zlib inflates them, within a bound fflate's inflater has not. */
class RawDeflate implements UnzipDecoder {
  static readonly compression = DEFLATE;
  // Set by fflate to its own handler once the entry is started.
  ondata: (err: FlateError | null, data: Uint8Array, final: boolean) => void = () => undefined;

  push(chunk: Uint8Array, final: boolean): void {
    this.ondata(null, chunk, final);
  }
}

/** The stored (still compressed) bytes of `entry`, found by fflate's streaming reader; any other local entry is skipped. */
function entryData(zip: Uint8Array, file: string, entry: ZipEntry): Uint8Array {
  const chunks: Uint8Array[] = [];
  let started = false;
  let ended = false;
  const unzip = new Unzip((found) => {
    if (started || found.name !== entry.name) return;
    started = true;
    found.ondata = (err, data, final) => {
      if (err) throw err;
      chunks.push(data);
      ended = final;
    };
    found.start();
  });
  unzip.register(RawDeflate);
  try {
    unzip.push(zip, true);
  } catch (err) {
    throw new ArchiveFileCorruptError(file, 'it does not unzip', { cause: err });
  }
  if (!started || !ended) throw new ArchiveFileCorruptError(file, `${entry.name} is listed but its data is not there`);
  return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : concat(chunks);
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
