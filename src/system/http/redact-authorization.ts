import type { redactOptions } from 'pino';

/** Header names whose values are secrets, in any capitalisation. */
const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$/i;

/**
 * The root logger's secret paths (`observability/logger.ts`): a child's redaction replaces its
 * parent's, so the HTTP logger repeats them.
 */
const ROOT_SECRET_PATHS = ['*.password', '*.KAFKA_PASSWORD', '*.ARANGO_PASSWORD', '*.STREAMFORGE_API_TOKEN', '*.authorization'];

const HEADER_PATHS = ['headers', '*.headers', '*.*.headers'];

/**
 * Pino redaction for the HTTP logger: any `headers` object logged (a request's, an error's) has its
 * credentials replaced, whatever the capitalisation of the header's name (paths alone cannot say
 * `Authorization` and `AUTHORIZATION` at once, a censor that looks at the keys can); the root
 * logger's secrets stay redacted too.
 */
export const HTTP_LOG_REDACTION: redactOptions = {
  paths: [...ROOT_SECRET_PATHS, ...HEADER_PATHS],
  censor: (value: unknown, path: string[]) => {
    if (path.at(-1) !== 'headers') return '[redacted]';
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, SECRET_HEADERS.test(name) ? '[redacted]' : (v as unknown)]));
  },
};
