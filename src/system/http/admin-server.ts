import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import {
  CandlesQuery,
  GapRepairBody,
  GapsQuery,
  RecordsQuery,
  describeAcceptedTypes,
  CreateQueueBody,
  ErrorCodes,
  parseStreamType,
  StartPipelineBody,
  StopQueueBody,
  StreamForgeError,
  Targets,
  ValidationError,
} from '../../protocol/index.ts';
import type { Workflow } from '../../protocol/index.ts';
import { WorkflowRegistry } from '../../actors/index.ts';
import type { Logger } from '../../actors/index.ts';
import type { Runtime } from '../runtime.ts';
import { candleCsvRow, candleJson, CANDLE_CSV_HEADER, queryCandles, querySeries, runGapAudit, seriesCsv, seriesJson } from '../query/index.ts';
import type { GapAuditRequest } from '../query/index.ts';
import { errorBody, httpStatusOf } from './http-errors.ts';
import { ManagerClient } from './manager-client.ts';
import { openApiDocument } from './open-api.ts';
import { parseOrThrow } from './request-validation.ts';

const MAX_BODY_BYTES = 1 << 20;
/** Gap audits served at once: each walks a series and spends exchange weight. */
const MAX_CONCURRENT_AUDITS = 2;

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

type Handler = (req: IncomingMessage, url: URL, params: Readonly<Record<string, string>>, res: ServerResponse) => Promise<Reply>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  /** Small fixed label for metrics: never the raw URL. */
  readonly name: string;
  readonly auth: boolean;
  /** No `{param}` in the path: it wins over parameterised paths it also matches (`/queues/stop` is no queue id). */
  readonly literal: boolean;
  readonly handler: Handler;
}

/**
 * The HTTP face of a process: the manager API (original paths kept as aliases), health probes,
 * Prometheus metrics and the OpenAPI document. Bad input answers 400 `{code, message}`, never 500.
 */
export class AdminServer {
  readonly #runtime: Runtime;
  readonly #log: Logger;
  readonly #registry: WorkflowRegistry;
  readonly #manager: ManagerClient | undefined;
  readonly #routes: Route[];
  readonly #server: Server;
  #ready = false;
  #audits = 0;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
    this.#log = runtime.logger.child({ component: 'http' });
    this.#registry = new WorkflowRegistry(runtime.store);
    this.#manager = runtime.manager ? new ManagerClient(runtime.manager) : undefined;
    this.#routes = this.#buildRoutes();
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        // Writing to a socket that broke meanwhile: nothing to answer, and no reason to end the process.
        this.#log.warn({ err }, 'could not answer a request');
        res.destroy();
      });
    });
    this.#server.keepAliveTimeout = 5_000;
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await this.#registry.init();
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    this.#ready = true;
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#ready = false;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #buildRoutes(): Route[] {
    const r = (method: string, path: string, name: string, auth: boolean, handler: Handler): Route => ({
      method,
      pattern: new RegExp(`^${path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`),
      name,
      auth,
      literal: !path.includes('{'),
      handler,
    });
    return [
      r('POST', '/queues', '/queues', true, (req) => this.#create(req, 'new')),
      r('POST', '/queues/start-pipeline', '/queues/start-pipeline', true, (req) => this.#create(req, 'original')),
      r('GET', '/queues', '/queues', true, () => this.#list()),
      r('GET', '/queues/list', '/queues/list', true, () => this.#list()),
      r('POST', '/queues/stop', '/queues/stop', true, async (req) => {
        const body = parseOrThrow(StopQueueBody, await readJson(req), 'body');
        return this.#stop(body.queue_id);
      }),
      r('GET', '/queues/{queue_id}', '/queues/{queue_id}', true, (_req, _url, p) => this.#get(p.queue_id ?? '')),
      r('POST', '/queues/{queue_id}/stop', '/queues/{queue_id}/stop', true, (_req, _url, p) => this.#stop(p.queue_id ?? '')),
      r('GET', '/candles', '/candles', true, (_req, url) => this.#candles(url)),
      r('GET', '/records', '/records', true, (_req, url) => this.#records(url)),
      r('GET', '/gaps', '/gaps', true, (_req, url, _p, res) => {
        const q = parseOrThrow(GapsQuery, Object.fromEntries(url.searchParams), 'query');
        return this.#gaps({ symbol: q.symbol, type: q.type, fromMs: q.from, toMs: q.to, quietMs: q.quiet_minutes * 60_000, repair: false }, res);
      }),
      r('POST', '/gaps/repair', '/gaps/repair', true, async (req, _url, _p, res) => {
        const body = parseOrThrow(GapRepairBody, await readJson(req), 'body');
        return this.#gaps({ symbol: body.symbol, type: body.type, fromMs: body.from, toMs: body.to, quietMs: body.quiet_minutes * 60_000, repair: true }, res);
      }),
      r('GET', '/health/live', '/health/live', false, () => Promise.resolve({ status: 200, body: { status: 'ok' } })),
      r('GET', '/health/ready', '/health/ready', false, () =>
        Promise.resolve(
          this.#ready && (!this.#manager || this.#runtime.managerReady())
            ? { status: 200, body: { status: 'ready' } }
            : { status: 503, body: { status: this.#ready ? 'manager not running' : 'starting' } },
        ),
      ),
      r('GET', '/health/startup', '/health/startup', false, () =>
        Promise.resolve(this.#ready ? { status: 200, body: { status: 'started' } } : { status: 503, body: { status: 'starting' } }),
      ),
      r('GET', '/metrics', '/metrics', false, async () => ({
        status: 200,
        body: await this.#runtime.metrics.registry.metrics(),
        contentType: this.#runtime.metrics.registry.contentType,
      })),
      r('GET', '/openapi.json', '/openapi.json', false, () => Promise.resolve({ status: 200, body: openApiDocument() })),
    ];
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let routeName = 'unmatched';
    let reply: Reply;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const candidates = this.#routes.filter((route) => route.pattern.test(url.pathname));
      const matching = candidates.some((m) => m.literal) ? candidates.filter((m) => m.literal) : candidates;
      const route = matching.find((m) => m.method === req.method);
      if (!route) {
        const allowed = [...new Set(matching.map((m) => m.method))].join(', ');
        reply =
          matching.length > 0
            ? {
                status: 405,
                body: { code: 'SF_ERR_METHOD_NOT_ALLOWED', message: `${req.method ?? ''} is not allowed on ${url.pathname}; allowed: ${allowed}` },
                headers: { allow: allowed },
              }
            : { status: 404, body: { code: ErrorCodes.NOT_FOUND, message: `no route ${url.pathname}; see /openapi.json` } };
      } else {
        routeName = route.name;
        if (route.auth) this.#authorize(req);
        const params = route.pattern.exec(url.pathname)?.groups ?? {};
        reply = await route.handler(req, url, params, res);
      }
    } catch (err) {
      const status = httpStatusOf(err);
      if (res.destroyed) this.#log.info({ route: routeName }, 'request abandoned by its caller');
      else if (status >= 500) this.#log.error({ err, route: routeName }, 'request failed');
      reply = { status, body: errorBody(err), ...(status === 401 ? { headers: { 'www-authenticate': 'Bearer realm="streamforge"' } } : {}) };
    }
    let text: string;
    try {
      text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    } catch (err) {
      // An answer too large to serialise: a 500 for this request, not an unhandled rejection that ends the process.
      this.#log.error({ err, route: routeName }, 'answer could not be serialised');
      reply = { status: 500, body: errorBody(err) };
      text = JSON.stringify(reply.body);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const method = req.method ?? 'GET';
    this.#runtime.metrics.httpRequests.inc({ route: routeName, method, status: String(reply.status) });
    this.#runtime.metrics.httpDuration.observe({ route: routeName, method }, seconds);
    res.writeHead(reply.status, {
      ...reply.headers,
      'content-type': reply.contentType ?? 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  #authorize(req: IncomingMessage): void {
    const token = this.#runtime.config.STREAMFORGE_API_TOKEN;
    if (!token) return;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new StreamForgeError(ErrorCodes.UNAUTHORIZED, 'missing or wrong bearer token');
    }
  }

  #requireManager(): ManagerClient {
    if (!this.#manager) throw new StreamForgeError(ErrorCodes.NOT_FOUND, 'this process does not host the manager (role manager or all)');

    return this.#manager;
  }

  async #create(req: IncomingMessage, shape: 'new' | 'original'): Promise<Reply> {
    const manager = this.#requireManager();
    const raw = await readJson(req);
    const request = shape === 'original' || (isObject(raw) && 'microservices' in raw) ? fromStartPipeline(raw) : fromCreate(raw);
    const wf = await manager.create(request);
    const ids = Object.fromEntries(Object.entries(wf.stages).map(([target, s]) => [target, s.telemetry_id]));
    return { status: 201, body: { status: 'ok', queue_id: wf.queue_id, ids, workflow: wf } };
  }

  async #list(): Promise<Reply> {
    const queues = await this.#registry.list();
    queues.sort((a, b) => b.created_at - a.created_at);
    return { status: 200, body: { queues } };
  }

  async #get(queueId: string): Promise<Reply> {
    const wf = await this.#registry.get(queueId);
    if (!wf) throw new StreamForgeError(ErrorCodes.NOT_FOUND, `no workflow with queue_id ${queueId}`);
    return { status: 200, body: wf };
  }

  async #stop(queueId: string): Promise<Reply> {
    const wf: Workflow = await this.#requireManager().stop(queueId);
    return { status: 202, body: wf };
  }

  async #records(url: URL): Promise<Reply> {
    const q = parseOrThrow(RecordsQuery, Object.fromEntries(url.searchParams), 'query');
    if (q.from >= q.to) throw new ValidationError('invalid query: from must be before to (the range is half-open: [from, to))');
    const { spec, records } = await querySeries(this.#runtime.store, {
      symbol: q.symbol,
      type: q.type,
      fromMs: q.from,
      toMs: q.to,
      ...(q.limit ? { limit: q.limit } : {}),
    });
    if (q.format === 'csv') return { status: 200, body: seriesCsv(spec, records), contentType: 'text/csv; charset=utf-8' };
    return { status: 200, body: { symbol: q.symbol, type: q.type, count: records.length, records: records.map((r) => seriesJson(spec, r)) } };
  }

  /**
   * An audit of this process's store against the exchange (and a repair): as `streamforge gaps` runs
   * it. At most {@link MAX_CONCURRENT_AUDITS} at once, each spending exchange weight; one whose caller
   * went away is aborted, its exchange requests with it.
   */
  async #gaps(req: Omit<GapAuditRequest, 'signal'>, res: ServerResponse): Promise<Reply> {
    if (this.#audits >= MAX_CONCURRENT_AUDITS) {
      throw new StreamForgeError(ErrorCodes.UNAVAILABLE, `${MAX_CONCURRENT_AUDITS} gap audits are running; retry when one has ended`, { retriable: true });
    }
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) gone.abort(new Error('the caller went away'));
    };
    res.once('close', onClose);
    this.#audits++;
    try {
      const { config, store, metrics, stageDeps } = this.#runtime;
      const report = await runGapAudit({ store, http: stageDeps.http, metrics, log: this.#log, config }, { ...req, signal: gone.signal });
      return { status: 200, body: report };
    } finally {
      this.#audits--;
      res.off('close', onClose);
    }
  }

  async #candles(url: URL): Promise<Reply> {
    const q = parseOrThrow(CandlesQuery, Object.fromEntries(url.searchParams), 'query');
    if (q.from >= q.to) throw new ValidationError('invalid query: from must be before to (the range is half-open: [from, to))');
    const candles = await queryCandles(this.#runtime.store, {
      symbol: q.symbol,
      interval: q.interval,
      fromMs: q.from,
      toMs: q.to,
      ...(q.limit ? { limit: q.limit } : {}),
    });
    if (q.format === 'csv') {
      return { status: 200, body: [CANDLE_CSV_HEADER, ...candles.map(candleCsvRow)].join('\n') + '\n', contentType: 'text/csv; charset=utf-8' };
    }
    return { status: 200, body: { symbol: q.symbol, interval: q.interval, count: candles.length, candles: candles.map(candleJson) } };
  }
}

function fromCreate(raw: unknown) {
  const body = parseOrThrow(CreateQueueBody, raw, 'body');
  const range = 'time_range' in body ? body.time_range : { fromMs: body.from, toMs: body.to };
  if (range.fromMs >= range.toMs) throw new ValidationError('invalid body: from must be before to (the range is half-open: [from, to))');
  return { symbol: body.symbol, type: body.type, range };
}

function fromStartPipeline(raw: unknown) {
  const body = parseOrThrow(StartPipelineBody, raw, 'body');
  const loader = body.microservices.find((m) => m.target === Targets.loader) ?? body.microservices[0];
  const type = loader?.type ?? '';
  const parsed = parseStreamType(type);
  if (!parsed) {
    throw new ValidationError(`invalid body: microservices type ${JSON.stringify(type)} is not supported; accepted: ${describeAcceptedTypes()}`);
  }
  if (body.time_range) return { symbol: body.symbol, type, range: body.time_range };
  // The original started live streams without a range: live from now until stopped.
  if (parsed.source === 'ws') return { symbol: body.symbol, type, range: openLiveRange(Date.now()) };
  throw new ValidationError(`invalid body: time_range is required for ${parsed.source}_* types; accepted: "YYYY-MM-DD:YYYY-MM-DD"`);
}

/** A live stream started without a range runs from now until stopped (its range ends in 10 years). */
function openLiveRange(nowMs: number): { fromMs: number; toMs: number } {
  return { fromMs: nowMs, toMs: nowMs + 10 * 365 * 86_400_000 };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ValidationError(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ValidationError('body is empty; expected a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('body is not valid JSON; expected a JSON object');
  }
}
