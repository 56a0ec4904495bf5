import { StoreError } from '../../protocol/index.ts';

// A top-level attribute: a dotted path would index and query a nested attribute instead.
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,253}$/;

/** Throws a non-retriable StoreError unless `field` names a top-level attribute; `role` says which (e.g. `sort field`). */
export function assertFieldName(field: string, role = 'field'): void {
  if (!FIELD_NAME.test(field)) {
    throw new StoreError(`invalid ${role} ${JSON.stringify(field)}: letters, digits and '_', not starting with a digit`, {
      retriable: false,
    });
  }
}
