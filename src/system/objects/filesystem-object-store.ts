import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ObjectStore } from '../../actors/ports/object-store.ts';
import { ObjectStoreError } from '../../protocol/index.ts';
import { assertObjectKey, assertObjectPrefix } from './object-key.ts';

/** Errors of the file system that a later attempt may not meet (a busy or crowded machine). */
const TRANSIENT_FS_CODES = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'EINTR', 'ETIMEDOUT']);

/**
 * The embedded default: each object is a file under `rootDir` (the bucket's stand-in), at its key's
 * path. A write goes to a temp file beside the target, is fsynced, then renamed over it (and the
 * directory fsynced), so a reader sees the old object or the new one, never a part. Keys are
 * validated ({@link assertObjectKey}), so nothing is read or written outside `rootDir`.
 *
 * Unlike S3, a key cannot also be a "directory" of other keys (`a` and `a/b`): such a put fails.
 */
export class FilesystemObjectStore implements ObjectStore {
  readonly kind = 'filesystem' as const;
  readonly #root: string;
  readonly #topLevel: ReadonlySet<string> | undefined;
  #closed = false;

  /**
   * @param options.topLevel The first key segments allowed (e.g. `models`), when `rootDir` holds other
   *   files too (the data dir with the embedded bus and store). @defaultValue any
   */
  constructor(rootDir: string, options: { readonly topLevel?: readonly string[] } = {}) {
    this.#root = resolve(rootDir);
    this.#topLevel = options.topLevel === undefined ? undefined : new Set(options.topLevel);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.#path(key);
    const dir = dirname(path);
    const temp = join(dir, `.${key.slice(key.lastIndexOf('/') + 1)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(dir, { recursive: true });
      const file = await open(temp, 'wx', 0o644);
      try {
        await file.writeFile(body);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, path);
      await syncDirectory(dir);
    } catch (err) {
      // The write failed: remove its temp file, keeping the write's error as the one reported.
      const leftover = await unlink(temp).then(
        () => undefined,
        (cleanup: unknown) => (hasCode(cleanup, 'ENOENT') ? undefined : cleanup instanceof Error ? cleanup.message : 'unknown error'),
      );
      throw this.#error(err, 'put', key, leftover === undefined ? {} : { temp, tempCleanup: leftover });
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.#path(key);
    try {
      const data = await readFile(path);
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (err) {
      // A missing file, or a "directory" of other keys: no object under this key.
      if (hasCode(err, 'ENOENT') || hasCode(err, 'EISDIR') || hasCode(err, 'ENOTDIR')) return undefined;
      throw this.#error(err, 'get', key);
    }
  }

  async list(prefix: string): Promise<string[]> {
    this.#assertOpen();
    assertObjectPrefix(prefix);
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    try {
      const keys: string[] = [];
      await this.#walk(base, keys);
      return keys.filter((k) => k.startsWith(prefix)).sort();
    } catch (err) {
      throw this.#error(err, 'list', prefix);
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix === '') throw new ObjectStoreError('deletePrefix needs a prefix: refusing to delete every object', { retriable: false });
    const keys = await this.list(prefix);
    try {
      for (const key of keys) await unlink(this.#path(key)).catch((err: unknown) => ignoreMissing(err));
      await this.#removeEmptyDirectories(keys);
    } catch (err) {
      throw this.#error(err, 'deletePrefix', prefix);
    }
  }

  uri(key: string): string {
    return pathToFileURL(this.#path(key)).href;
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** The file of a validated key; the check against the root is a second fence. */
  #path(key: string): string {
    this.#assertOpen();
    assertObjectKey(key);
    const top = key.slice(0, key.indexOf('/'));
    if (this.#topLevel !== undefined && !this.#topLevel.has(top)) {
      throw new ObjectStoreError(`bad object key ${JSON.stringify(key)}: keys here start with ${[...this.#topLevel].map((t) => `${t}/`).join(' or ')}`, { retriable: false });
    }
    const path = join(this.#root, ...key.split('/'));
    if (!path.startsWith(this.#root + sep)) throw new ObjectStoreError(`bad object key ${JSON.stringify(key)}: it leaves the store's directory`, { retriable: false });
    return path;
  }

  /** Collects the keys of the files under the key prefix `base` ('' or ending with '/'). */
  async #walk(base: string, keys: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(join(this.#root, ...base.split('/').filter((s) => s !== '')), { withFileTypes: true });
    } catch (err) {
      if (hasCode(err, 'ENOENT') || hasCode(err, 'ENOTDIR')) return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // temp files of writes in flight
      if (entry.isDirectory()) await this.#walk(`${base}${entry.name}/`, keys);
      else if (entry.isFile()) keys.push(`${base}${entry.name}`);
    }
  }

  /** Removes the directories the deleted keys leave empty, deepest first, never the root. */
  async #removeEmptyDirectories(keys: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      const segments = key.split('/');
      for (let n = segments.length - 1; n > 0; n--) dirs.add(segments.slice(0, n).join('/'));
    }
    const deepestFirst = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length);
    for (const dir of deepestFirst) {
      await rmdir(join(this.#root, ...dir.split('/'))).catch((err: unknown) => {
        if (!hasCode(err, 'ENOTEMPTY') && !hasCode(err, 'EEXIST')) ignoreMissing(err);
      });
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ObjectStoreError('the object store is closed', { retriable: false });
  }

  #error(err: unknown, operation: string, key: string, extra: Readonly<Record<string, string>> = {}): ObjectStoreError {
    if (err instanceof ObjectStoreError) return err;
    const code = codeOf(err);
    const detail = err instanceof Error ? err.message : String(err);
    const hint = code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST' ? ' (a key cannot also be a prefix of other keys in the filesystem store)' : '';
    return new ObjectStoreError(`object store ${operation} ${JSON.stringify(key)} under ${this.#root} failed: ${detail}${hint}`, {
      retriable: code !== undefined && TRANSIENT_FS_CODES.has(code),
      cause: err,
      details: { operation, key, ...(code !== undefined ? { errno: code } : {}), ...extra },
    });
  }
}

/** Makes a rename durable: the directory entry itself is flushed. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function hasCode(err: unknown, code: string): boolean {
  return codeOf(err) === code;
}

/** Lets a missing file pass (already gone is the goal) and rethrows anything else. */
function ignoreMissing(err: unknown): void {
  if (!hasCode(err, 'ENOENT')) throw err;
}
