import type { ExpectedFields, FieldValue, StoredDocument } from '../../actors/ports/index.ts';
import { StoreError } from '../../protocol/index.ts';
import { assertFieldName } from './field-name.ts';

/** Throws a non-retriable StoreError unless every name is a top-level field and every value a string, a finite number or null. */
export function assertExpectedFields(expected: ExpectedFields): void {
  for (const [field, value] of Object.entries(expected)) {
    assertFieldName(field, 'compare-and-set field');
    assertFieldValue(field, value);
  }
}

/** Throws a non-retriable StoreError unless `value` is one a document can be matched on. */
export function assertFieldValue(field: string, value: FieldValue): void {
  if (value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return;
  throw new StoreError(`value of ${field} must be a string, a finite number or null, got ${String(value)}`, { retriable: false });
}

/** True when every field in `expected` holds its value in `doc` (`null`: missing or null). */
export function fieldsMatch(doc: StoredDocument, expected: ExpectedFields): boolean {
  return Object.entries(expected).every(([field, value]) => (value === null ? (doc[field] ?? null) === null : doc[field] === value));
}
