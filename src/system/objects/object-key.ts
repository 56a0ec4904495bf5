import { ObjectStoreError } from '../../protocol/index.ts';

/**
 * One segment of a key: starts with a letter or digit, then letters, digits and `. _ - = +`.
 * Starting with a letter or digit rules out `.`, `..` and hidden names, so the filesystem store's
 * temp files (`.name.tmp-…`) can never be taken for objects; both stores accept the same keys.
 */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=+-]*$/;
/** A prefix may end inside a segment (`models/gnn-` lists `models/gnn-1/…` and `models/gnn-2/…`). */
const PARTIAL_SEGMENT = /^[A-Za-z0-9._=+-]*$/;
/** Room for the filesystem store's temp-file decoration within a 255-byte file name. */
export const MAX_SEGMENT_LENGTH = 200;
/** S3's limit on a key. */
export const MAX_KEY_LENGTH = 1024;

const ACCEPTED = `segments of letters, digits and . _ - = + (each starting with a letter or digit, at most ${MAX_SEGMENT_LENGTH} characters) joined by '/', at most ${MAX_KEY_LENGTH} characters`;

/** Throws a non-retriable ObjectStoreError naming what is wrong with `key` and what is accepted. */
export function assertObjectKey(key: string): void {
  const problem = keyProblem(key, false);
  if (problem !== undefined) throw new ObjectStoreError(`bad object key ${JSON.stringify(key)}: ${problem}; keys are ${ACCEPTED}`, { retriable: false, details: { key } });
}

/** As {@link assertObjectKey} for a prefix, which may be empty and may end inside a segment or with '/'. */
export function assertObjectPrefix(prefix: string): void {
  const problem = prefix === '' ? undefined : keyProblem(prefix, true);
  if (problem !== undefined) throw new ObjectStoreError(`bad key prefix ${JSON.stringify(prefix)}: ${problem}; keys are ${ACCEPTED}`, { retriable: false, details: { prefix } });
}

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (key === '') return 'it is empty';
  if (key.length > MAX_KEY_LENGTH) return `it has ${key.length} characters`;
  const segments = key.split('/');
  const last = segments.length - 1;
  for (const [i, segment] of segments.entries()) {
    if (isPrefix && i === last) {
      if (!PARTIAL_SEGMENT.test(segment) || segment.length > MAX_SEGMENT_LENGTH) return `its last segment ${JSON.stringify(segment)} is not allowed`;
      if (segment === '.' || segment === '..') return `it contains the segment ${JSON.stringify(segment)}`;
      continue;
    }
    if (segment === '') return i === 0 ? 'it starts with /' : i === last ? 'it ends with /' : 'it contains //';
    if (segment.length > MAX_SEGMENT_LENGTH) return `its segment ${JSON.stringify(segment.slice(0, 20))}… is longer than ${MAX_SEGMENT_LENGTH}`;
    if (!SEGMENT.test(segment)) return `its segment ${JSON.stringify(segment)} is not allowed`;
  }
  return undefined;
}
