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
    return this.#request(url, options, async (body) => body.text());
  }

  async getBytes(url: string, options: HttpRequestOptions = {}): Promise<HttpBytesResponse> {
    return this.#request(url, options, async (body) => new Uint8Array(await body.arrayBuffer()));
  }

  async #request<B>(url: string, options: HttpRequestOptions, read: (body: Dispatcher.ResponseData['body']) => Promise<B>): Promise<{ status: number; headers: Record<string, string | undefined>; body: B }> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    try {
      const res = await request(url, {
        method: 'GET',
        dispatcher: this.#agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const body = await read(res.body);
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      return { status: res.statusCode, headers, body };
    } catch (err) {
      if (options.signal?.aborted) throw err;
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
