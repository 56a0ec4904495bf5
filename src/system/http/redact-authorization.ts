import type { redactOptions } from 'pino';

/** Header names whose values are secrets, in any capitalisation. */
const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$/i;

/**
 * Pino redaction for the HTTP logger: any `headers` object logged (a request's, an error's) has its
 * credentials replaced, whatever the capitalisation of the header's name: paths alone cannot say
 * `Authorization` and `AUTHORIZATION` at once, a censor that looks at the keys can.
 */
export const HTTP_LOG_REDACTION: redactOptions = {
  paths: ['headers', '*.headers', '*.*.headers'],
  censor: (value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, SECRET_HEADERS.test(name) ? '[Redacted]' : (v as unknown)]));
  },
};
