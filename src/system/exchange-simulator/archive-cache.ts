/** A generated archive file: the zip and the SHA-256 of its bytes (what its `.CHECKSUM` names). */
export interface ArchiveFile {
  readonly zip: Buffer;
  readonly sha256: string;
}

/**
 * A least-recently-used cache of generated files, bounded by total bytes (a month of 1m klines
 * zips to a few MB; a day of aggregate trades to a few more), so that a loader asking for the zip
 * and then its `.CHECKSUM`, or a retry, does not regenerate the file.
 */
export class ArchiveCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, ArchiveFile>();
  #bytes = 0;

  /** @param maxBytes @defaultValue 96 MiB */
  constructor(maxBytes = 96 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  get(key: string): ArchiveFile | undefined {
    const found = this.#entries.get(key);
    if (found !== undefined) {
      // Map keeps insertion order: re-inserting makes this entry the most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, found);
    }
    return found;
  }

  set(key: string, file: ArchiveFile): void {
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= old.zip.length;
    }
    this.#entries.set(key, file);
    this.#bytes += file.zip.length;
    // The newest entry always stays, even alone over the bound: a month of trades takes long to
    // generate, and its .CHECKSUM and its zip are asked for one after the other.
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes || oldest === key) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.zip.length;
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
