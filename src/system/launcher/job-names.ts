import { createHash } from 'node:crypto';
import type { StageRole } from '../../actors/index.ts';

/** Longest Kubernetes object name we produce, and longest label value the API accepts. */
export const MAX_NAME_LENGTH = 63;

const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const DNS_1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

/** First `length` hex digits of the SHA-256 of `text`: short, stable, and spread evenly. */
export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** True when `name` is a DNS-1123 label (what Job names must be, and what pods derive theirs from). */
export function isDns1123Label(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && DNS_1123_LABEL.test(name);
}

/** True when the API server accepts `value` as a label value. */
export function isLabelValue(value: string): boolean {
  return value.length <= MAX_NAME_LENGTH && LABEL_VALUE.test(value);
}

/**
 * `value` when it is a valid label value, otherwise a prefix of its valid characters plus a hash
 * of the whole value: queue ids may be longer than 63 characters, and the full id then lives in an
 * annotation. Deterministic, so a label selector built from the same id finds the same objects.
 */
export function labelValue(value: string): string {
  if (isLabelValue(value)) return value;
  const hash = shortHash(value, 10);
  const prefix = value
    .replace(/[^-A-Za-z0-9_.]+/g, '-')
    .slice(0, MAX_NAME_LENGTH - hash.length - 1)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

/**
 * The Job name of one launch of a stage: `sf-<role>-<symbol>-<hash of queue id>-<attempt>`.
 * Deterministic (a second manager creating the same attempt gets AlreadyExists), a DNS-1123 label
 * of at most 63 characters (the symbol is sanitised and shortened to fit), and distinct per
 * workflow even when two workflows share a symbol, because the queue id is hashed in.
 */
export function jobName(role: StageRole, symbol: string, queueId: string, attempt: number): string {
  if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  const fixed = ['sf', role, shortHash(queueId), String(attempt)];
  const room = MAX_NAME_LENGTH - fixed.join('-').length - 1;
  const cleaned = symbol
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, Math.max(0, room))
    .replace(/^-+|-+$/g, '');
  const parts = cleaned ? ['sf', role, cleaned, ...fixed.slice(2)] : fixed;
  return parts.join('-');
}
