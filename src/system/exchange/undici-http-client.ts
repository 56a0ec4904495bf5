import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { ErrorCodes, ExchangeError } from '../../protocol/index.ts';
import type { HttpBytesResponse, HttpClient, HttpRequestOptions, HttpResponse } from '../../actors/ports/index.ts';

/** Keep-alive HTTP GET over undici; network failures become retriable `SF_ERR_EXCHANGE_UNREACHABLE`. */
export class UndiciHttpClient implements HttpClient {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(options: { timeoutMs?: number; connections?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#agent = new Agent({
      connections: options.connections ?? 16,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(this.#timeoutMs, 5_000),
    });
  }

  async get(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    if (options.maxBytes !== undefined) {
      const bytes = await this.getBytes(url, options);
      return { ...bytes, body: new TextDecoder().decode(bytes.body) };
    }
    return this.#request(url, options, async (body) => body.text());
  }

  async getBytes(url: string, options: HttpRequestOptions = {}): Promise<HttpBytesResponse> {
    const { maxBytes } = options;
    if (maxBytes === undefined) return this.#request(url, options, async (body) => new Uint8Array(await body.arrayBuffer()));
    return this.#request(url, options, (body, headers) => readBounded(body, headers, maxBytes, url));
  }

  async #request<B>(
    url: string,
    options: HttpRequestOptions,
    read: (body: Dispatcher.ResponseData['body'], headers: Dispatcher.ResponseData['headers']) => Promise<B>,
  ): Promise<{ status: number; headers: Record<string, string | undefined>; body: B }> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    try {
      const res = await request(url, {
        method: 'GET',
        dispatcher: this.#agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const body = await read(res.body, res.headers);
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      return { status: res.statusCode, headers, body };
    } catch (err) {
      if (options.signal?.aborted || (err instanceof ExchangeError && !err.retriable)) throw err;
      const host = safeHost(url);
      throw new ExchangeError(ErrorCodes.EXCHANGE_UNREACHABLE, `cannot reach ${host}: ${describe(err)}`, {
        retriable: true,
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/**
 * The body, or a non-retriable `SF_ERR_EXCHANGE_RESPONSE_TOO_LARGE` as soon as it is known to be
 * longer than `maxBytes` (its `Content-Length`, or the bytes so far): the rest is never read.
 */
async function readBounded(body: Dispatcher.ResponseData['body'], headers: Dispatcher.ResponseData['headers'], maxBytes: number, url: string): Promise<Uint8Array> {
  const tooLarge = (what: string) => {
    body.destroy();
    return new ExchangeError(ErrorCodes.EXCHANGE_RESPONSE_TOO_LARGE, `${safeHost(url)} answered ${what}, more than the ${maxBytes} allowed`, { retriable: false });
  };
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(`${declared} bytes`);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) throw tooLarge(`over ${length} bytes`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The error's code, message and cause, each once (Node's connect errors repeat the code in the message, undici's the cause's). */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? `: ${err.cause.message}` : '';
    const text = `${err.message}${cause}`;
    return typeof code === 'string' && !text.includes(code) ? `${code} ${text}` : text;
  }
  return String(err);
}
