/** Where an S3 server is, from `MINIO_ENDPOINT` (+ `MINIO_SECURE`). */
export interface S3Endpoint {
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** HTTPS when true. */
  readonly secure: boolean;
  /** `http(s)://host:port`: how messages name the server (it never carries credentials). */
  readonly url: string;
}

/** What the endpoint may look like, for error messages. */
export const S3_ENDPOINT_FORMS = '`host:port` (as the original services used it; MINIO_SECURE picks HTTPS) or a URL `http(s)://host:port`';

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Reads `MINIO_ENDPOINT`: `host:port` or `host` (the original Python services' form, HTTPS when
 * `secure`), or `http(s)://host[:port]`. Without a port: 443 with HTTPS, 80 without (as the MinIO
 * clients do). Returns a sentence naming the problem instead when the text is not an endpoint.
 */
export function parseS3Endpoint(text: string, secure: boolean | undefined): S3Endpoint | string {
  const trimmed = text.trim();
  const isUrl = SCHEME.test(trimmed);
  if (!isUrl && /[/@?#\s]/.test(trimmed)) return `${JSON.stringify(text)} is neither ${S3_ENDPOINT_FORMS}`;
  let url: URL;
  try {
    // A default port disappears from URL.port, so the host:port form is read with the scheme it means.
    url = new URL(isUrl ? trimmed : `${secure === true ? 'https' : 'http'}://${trimmed}`);
  } catch (err) {
    return `${JSON.stringify(text)} is not an endpoint (${err instanceof Error ? err.message : String(err)}); use ${S3_ENDPOINT_FORMS}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${JSON.stringify(text)}: only http:// and https:// are accepted`;
  if (url.username !== '' || url.password !== '') return 'MINIO_ENDPOINT must not carry credentials: set MINIO_ACCESS_KEY and MINIO_SECRET_KEY';
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return `${JSON.stringify(text)} has a path or query: give the server only (${S3_ENDPOINT_FORMS}); the bucket is MINIO_BUCKET_NAME`;
  if (url.hostname === '') return `${JSON.stringify(text)} has no host`;
  const https = url.protocol === 'https:';
  if (isUrl && secure !== undefined && secure !== https) {
    return `MINIO_SECURE=${String(secure)} contradicts the ${url.protocol}// of MINIO_ENDPOINT; drop MINIO_SECURE or change the scheme`;
  }
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return Object.freeze({ host, port, secure: https, url: `${https ? 'https' : 'http'}://${shownHost}:${port}` });
}
