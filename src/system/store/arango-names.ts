import { StoreError } from '../../protocol/index.ts';
import { assertFieldName } from './field-name.ts';

// ArangoDB's traditional naming rules; the extended (Unicode) names are not needed and not allowed.
const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,255}$/;

/** Throws a non-retriable StoreError unless `name` is a valid user collection name (≤ 256 characters). */
export function assertCollectionName(name: string): void {
  if (!COLLECTION_NAME.test(name)) {
    throw new StoreError(
      `invalid collection name ${JSON.stringify(name)}: letters, digits, '_' and '-', starting with a letter, at most 256 characters`,
      { retriable: false },
    );
  }
}

/** Throws a non-retriable StoreError unless `field` names a top-level attribute. */
export function assertSortField(field: string): void {
  assertFieldName(field, 'sort field');
}
