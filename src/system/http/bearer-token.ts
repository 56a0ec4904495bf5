import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Whether an `Authorization` header carries the expected bearer token. The scheme is
 * case-insensitive (RFC 9110); the token is compared as SHA-256 digests in constant time, so
 * neither its bytes nor its length show in the time the comparison takes.
 */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  const given = BEARER.exec(header ?? '')?.[1] ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given !== '';
}
