import { request } from 'undici';
import { ErrorBody, Workflow, ErrorCodes, parseJsonOrUndefined, StreamForgeError } from '../../protocol/index.ts';
import type { ErrorCode } from '../../protocol/index.ts';
import type { CreateWorkflowRequest } from '../../actors/index.ts';
import type { WorkflowManager } from '../manager/index.ts';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

/** A code this version knows, else `INTERNAL`: a newer server may answer with codes added since. */
function knownCode(code: string): ErrorCode {
  return KNOWN_CODES.has(code) ? (code as ErrorCode) : ErrorCodes.INTERNAL;
}

/** How long an audit or repair over the API may take before the CLI gives up waiting. */
const LONG_CALL_MS = 6 * 3_600_000;

/**
 * The HTTP API of a running StreamForge (`--server URL`): its manager, as a {@link WorkflowManager}
 * like the one of this process, and its stored data and audits.
 */
export class ServerApiClient implements WorkflowManager {
  readonly where: string;
  readonly #base: string;
  readonly #token: string | undefined;

  constructor(baseUrl: string, token?: string) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.where = this.#base;
    this.#token = token;
  }

  async create(request: CreateWorkflowRequest): Promise<Workflow> {
    const res = await this.#call('POST', '/queues', createBody(request));
    return Workflow.parse((res as { workflow?: unknown }).workflow);
  }

  async get(queueId: string): Promise<Workflow | undefined> {
    try {
      return Workflow.parse(await this.#call('GET', `/queues/${encodeURIComponent(queueId)}`));
    } catch (err) {
      if (err instanceof StreamForgeError && err.code === ErrorCodes.NOT_FOUND) return undefined;
      throw err;
    }
  }

  async stop(queueId: string): Promise<Workflow> {
    return Workflow.parse(await this.#call('POST', `/queues/${encodeURIComponent(queueId)}/stop`));
  }

  async getText(path: string): Promise<string> {
    const res = await this.#raw('GET', path);
    return res;
  }

  /**
   * A paged JSON answer followed to its end (`next` passed back as `after`): one answer whose
   * `items` array holds every page's (at most `max`), and whose `count` is their number.
   */
  async getAllPages(path: string, items: string, max = Number.POSITIVE_INFINITY): Promise<Record<string, unknown>> {
    const all: unknown[] = [];
    let first: Record<string, unknown> | undefined;
    let next: string | undefined;
    do {
      const page = JSON.parse(await this.#raw('GET', next === undefined ? path : `${path}&after=${encodeURIComponent(next)}`)) as Record<string, unknown>;
      first ??= page;
      const got = page[items];
      if (Array.isArray(got)) all.push(...(got as unknown[]));
      next = typeof page['next'] === 'string' ? page['next'] : undefined;
    } while (next !== undefined && all.length < max);
    const { next: _last, ...head } = first;
    const kept = all.slice(0, max);
    return { ...head, count: kept.length, [items]: kept };
  }

  /** A GET that may take long (an audit): waits up to 6 hours for the answer. */
  async getLong(path: string): Promise<unknown> {
    return JSON.parse(await this.#raw('GET', path, undefined, LONG_CALL_MS)) as unknown;
  }

  /** A POST that may take long (a repair). */
  async postLong(path: string, body: unknown): Promise<unknown> {
    return JSON.parse(await this.#raw('POST', path, body, LONG_CALL_MS)) as unknown;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    return JSON.parse(await this.#raw(method, path, body)) as unknown;
  }

  async #raw(method: string, path: string, body?: unknown, answerTimeoutMs = 30_000): Promise<string> {
    let res;
    try {
      res = await request(`${this.#base}${path}`, {
        method: method as 'GET' | 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: answerTimeoutMs,
        bodyTimeout: Math.max(answerTimeoutMs, 120_000),
      });
    } catch (err) {
      throw new StreamForgeError(ErrorCodes.UNAVAILABLE, `cannot reach ${this.#base}: ${(err as Error).message}`, { cause: err, retriable: true });
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) {
      const parsed = ErrorBody.safeParse(parseJsonOrUndefined(text));
      const message = parsed.success ? parsed.data.message : `HTTP ${res.statusCode}`;
      const code = parsed.success ? parsed.data.code : ErrorCodes.INTERNAL;
      // The server's own code (an exchange refusal, a store failure), except that its bad-input answer is a usage error here.
      throw new StreamForgeError(code === ErrorCodes.VALIDATION ? ErrorCodes.USAGE : knownCode(code), message, { retriable: res.statusCode >= 500 });
    }
    return text;
  }
}


/** `POST /queues`' body for a request: a series (symbol, type) or a graph workflow (universe and settings; no `to` when live). */
function createBody(request: CreateWorkflowRequest): Record<string, unknown> {
  const from = new Date(request.range.fromMs).toISOString();
  if (!('gnn' in request)) return { symbol: request.symbol, type: request.type, from, to: new Date(request.range.toMs).toISOString() };
  const g = request.gnn;
  return {
    type: request.type,
    symbols: g.symbols,
    interval: g.interval,
    from,
    ...(g.live ? {} : { to: new Date(request.range.toMs).toISOString() }),
    window: g.window,
    ...(g.edges.kind === 'top-k' ? { top_k: g.edges.k } : { threshold: g.edges.threshold }),
    horizon: g.horizon,
    epochs: g.epochs,
    seed: g.seed,
    arch: g.arch,
    ...(g.live ? { retrain_every: g.retrain_every } : {}),
  };
}
