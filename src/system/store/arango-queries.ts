import type { AqlQuery } from 'arangojs/aql';
import type { FieldValue, PageQuery, RangeQuery, StoredDocument } from '../../actors/ports/index.ts';
import { StoreError } from '../../protocol/index.ts';

// Every query below is built from constant text only: collection, attribute name and values all
// travel as bind parameters (`@@collection` for a collection, `doc.@field` for an attribute), so
// no caller-supplied string can change a query's meaning.

/** What a read returns: the stored document without the server's `_id` and `_rev`. */
const PROJECTION = 'RETURN UNSET(doc, "_id", "_rev")';

/** The document with `_key`, at most one row. */
export function getQuery(collection: string, key: string): AqlQuery<StoredDocument> {
  return {
    query: ['FOR doc IN @@collection', 'FILTER doc._key == @key', 'LIMIT 1', PROJECTION].join(' '),
    bindVars: { '@collection': collection, key },
  };
}

/** The documents whose `field` holds one of `values` (a missing field reads as null), in (sort field, key) order. */
export function findQuery(collection: string, sortField: string, field: string, values: readonly FieldValue[]): AqlQuery<StoredDocument> {
  return {
    query: ['FOR doc IN @@collection', 'FILTER doc.@field IN @values', 'SORT doc.@sortField ASC, doc._key ASC', PROJECTION].join(' '),
    bindVars: { '@collection': collection, field, values: [...values], sortField },
  };
}

/** Removes the documents with these keys (missing ones ignored); returns one row per removed document. */
export function deleteQuery(collection: string, keys: readonly string[]): AqlQuery<string> {
  return {
    query: ['FOR key IN @keys', 'REMOVE { _key: key } IN @@collection OPTIONS { ignoreErrors: true }', 'RETURN OLD._key'].join(' '),
    bindVars: { '@collection': collection, keys: [...keys] },
  };
}

/** Documents with `from <= sortField < to`, ascending on the sort field (served by its persistent index). */
export function rangeQuery(collection: string, sortField: string, range: RangeQuery = {}): AqlQuery<StoredDocument> {
  const { filters, bindVars } = rangeFilters(collection, sortField, range);
  const lines = ['FOR doc IN @@collection', ...filters, 'SORT doc.@sortField ASC'];
  if (range.limit !== undefined && !(Number.isSafeInteger(range.limit) && range.limit >= 0)) {
    throw new StoreError(`range limit must be a non-negative integer, got ${String(range.limit)}`, { retriable: false });
  }
  // 0 means no limit, as in the embedded store.
  if (range.limit !== undefined && range.limit > 0) {
    lines.push('LIMIT @limit');
    bindVars['limit'] = range.limit;
  }
  lines.push(PROJECTION);
  return { query: lines.join(' '), bindVars };
}

/** A document of a page with its position (sort value, key) beside it, for the next page's start. */
export interface PagedRow {
  readonly sort: number;
  readonly doc: StoredDocument;
}

/**
 * One page of `from <= sortField < to`, strictly after a position, in the total order (sort field,
 * then `_key`). The persistent index on `[sortField, _key]` serves the sort and the range; the
 * position's second condition only drops the few documents sharing its sort value. Non-numeric sort
 * values are never in a page. One query per page, nothing held on the server between pages.
 */
export function pageQuery(collection: string, sortField: string, page: PageQuery): AqlQuery<PagedRow> {
  if (!(Number.isSafeInteger(page.limit) && page.limit > 0)) {
    throw new StoreError(`page limit must be a positive integer, got ${String(page.limit)}`, { retriable: false });
  }
  const { filters, bindVars } = rangeFilters(collection, sortField, page);
  if (filters.length === 0) filters.push('FILTER IS_NUMBER(doc.@sortField)');
  const descending = page.descending === true;
  if (page.after !== undefined) {
    assertBound('from', page.after.sort);
    const [beyond, beyondOrAt] = descending ? ['<', '<='] : ['>', '>='];
    filters.push(`FILTER doc.@sortField ${beyondOrAt} @afterSort`, `FILTER doc.@sortField ${beyond} @afterSort || doc._key ${beyond} @afterKey`);
    bindVars['afterSort'] = page.after.sort;
    bindVars['afterKey'] = page.after.key;
  }
  const order = descending ? 'DESC' : 'ASC';
  bindVars['limit'] = page.limit;
  return {
    query: ['FOR doc IN @@collection', ...filters, `SORT doc.@sortField ${order}, doc._key ${order}`, 'LIMIT @limit', 'RETURN { sort: doc.@sortField, doc: UNSET(doc, "_id", "_rev") }'].join(' '),
    bindVars,
  };
}

/**
 * The number of documents with `from <= sortField < to`: one row, or none for an empty input on
 * servers whose grouping-free COLLECT returns nothing then (read a missing row as 0).
 */
export function countQuery(collection: string, sortField: string, range: RangeQuery = {}): AqlQuery<number> {
  const { filters, bindVars } = rangeFilters(collection, sortField, range);
  // ArangoDB rejects a bind parameter the query does not use.
  if (filters.length === 0) delete bindVars['sortField'];
  return { query: ['FOR doc IN @@collection', ...filters, 'COLLECT WITH COUNT INTO n', 'RETURN n'].join(' '), bindVars };
}

function rangeFilters(collection: string, sortField: string, range: RangeQuery): { filters: string[]; bindVars: Record<string, unknown> } {
  assertBound('from', range.from);
  assertBound('to', range.to);
  const filters: string[] = [];
  const bindVars: Record<string, unknown> = { '@collection': collection, sortField };
  if (range.from !== undefined) {
    filters.push('FILTER doc.@sortField >= @from');
    bindVars['from'] = range.from;
  }
  if (range.to !== undefined) {
    filters.push('FILTER doc.@sortField < @to');
    bindVars['to'] = range.to;
  }
  // AQL orders null and booleans below numbers and strings above them; a bounded range means
  // numbers only, as in the embedded store, where a non-numeric sort value is stored as NULL.
  if (filters.length > 0) filters.push('FILTER IS_NUMBER(doc.@sortField)');
  return { filters, bindVars };
}

function assertBound(name: 'from' | 'to', value: number | undefined): void {
  if (value !== undefined && !Number.isFinite(value)) {
    // JSON would carry NaN or Infinity as null and silently change the range.
    throw new StoreError(`range ${name} must be a finite number, got ${String(value)}`, { retriable: false });
  }
}
