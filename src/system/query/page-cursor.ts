import { ValidationError } from '../../protocol/index.ts';

/**
 * An opaque page cursor: a small JSON array, base64url-encoded. It carries a position, never a
 * query: the query is asked again with `after`, so a cursor cannot widen what a caller may read.
 */
export function encodeCursor(position: ReadonlyArray<number | string>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Reads a cursor back; a cursor not written for this kind of answer is a 400 naming the parameter. */
export function decodeCursor<T extends ReadonlyArray<'number' | 'string'>>(cursor: string, shape: T): { [K in keyof T]: T[K] extends 'number' ? number : string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (err) {
    throw new ValidationError('invalid query: after is not a cursor this server wrote; accepted: the `next` value of a previous answer, unchanged', { cause: err });
  }
  const fits =
    Array.isArray(value) &&
    value.length === shape.length &&
    shape.every((kind, i) => (kind === 'number' ? Number.isFinite(value[i]) : typeof value[i] === 'string'));
  if (!fits) {
    throw new ValidationError('invalid query: after is not a cursor of this kind of answer; accepted: the `next` value of a previous answer to the same path, unchanged');
  }
  return value as { [K in keyof T]: T[K] extends 'number' ? number : string };
}
