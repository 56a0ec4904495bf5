import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import { jsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';
import type { Runtime } from '../runtime.ts';
import { bearerTokenMatches } from './bearer-token.ts';
import { assertSafeBind } from './bind-policy.ts';
import { fromFastifyError } from './fastify-errors.ts';
import { HostGuard, isWildcard } from './host-guard.ts';
import { errorBody, errorHeaders, httpStatusOf } from './http-errors.ts';
import { acceptJsonBodiesOnly } from './json-body-parser.ts';
import { MethodNotAllowed, methodNotAllowed } from './method-not-allowed.ts';
import { HTTP_LOG_REDACTION } from './redact-authorization.ts';
import { zodValidatorCompiler } from './request-validation.ts';
import type { RouteContext } from './route-context.ts';
import { API_ROUTES, PROBE_ROUTES } from './routes/index.ts';
import type { RoutePlugin } from './routes/index.ts';
import { TokenBuckets } from './token-bucket.ts';

export interface AdminServerOptions {
  /** The route modules served. @defaultValue the data and control API, probes and metrics */
  readonly routes?: readonly RoutePlugin[];
  /** The rate limiter's clock, in ms. @defaultValue `Date.now` */
  readonly now?: () => number;
}

type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/**
 * The HTTP face of a process, on fastify: the route modules it is given (see `routes/index.ts`), the
 * OpenAPI document generated from their zod schemas (`/openapi.json`, with the API), and the hooks
 * every route shares: Host/Origin checks, the bearer token, rate limits, `{code, message}` errors
 * from one table, 405 with `Allow`, metrics. Limits and timeouts come from the configuration.
 */
export class AdminServer {
  readonly #runtime: Runtime;
  readonly #log: Logger;
  readonly #app: App;
  readonly #servesApi: boolean;
  #guard: HostGuard;
  #listening = false;

  constructor(runtime: Runtime, options: AdminServerOptions = {}) {
    this.#runtime = runtime;
    const { config } = runtime;
    this.#log = runtime.logger.child({ component: 'http' }, { redact: HTTP_LOG_REDACTION });
    const routes = options.routes ?? [...API_ROUTES, ...PROBE_ROUTES];
    this.#servesApi = routes.some((r) => API_ROUTES.includes(r));
    this.#guard = this.#hostGuard(config.HOST);
    // Typed as fastify's logger: the instance's type then matches what route plugins are given.
    const loggerInstance: FastifyBaseLogger = this.#log;
    const app = Fastify({
      loggerInstance,
      // One line per request would be noise at info; failures are logged by the error handler.
      logController: new LogController({ disableRequestLogging: true }),
      genReqId: () => randomUUID(),
      requestIdHeader: false,
      bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      exposeHeadRoutes: false,
      forceCloseConnections: true,
    }).withTypeProvider<ZodTypeProvider>() as App;
    app.server.headersTimeout = config.HTTP_HEADERS_TIMEOUT_MS;
    app.server.maxConnections = config.HTTP_MAX_CONNECTIONS;
    app.setValidatorCompiler(zodValidatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    acceptJsonBodiesOnly(app);
    this.#hooks(app, new TokenBuckets(config.API_RATE_LIMIT_PER_MINUTE, options.now));
    const methods = new MethodNotAllowed();
    methods.collect(app);
    if (this.#servesApi) {
      void app.register(fastifySwagger, {
        openapi: {
          openapi: '3.0.3',
          info: { title: 'StreamForge API', version: '0.1.0', description: 'Generated from the zod schemas of src/protocol.' },
          components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        },
        transform: jsonSchemaTransform,
      });
      app.get('/openapi.json', { schema: { hide: true }, config: { auth: 'none' } }, () => app.swagger());
    }
    const context: RouteContext = { runtime, log: this.#log, listening: () => this.#listening };
    for (const plugin of routes) void app.register(plugin, context);
    void app.register((instance) => {
      methods.seal(instance);
      return Promise.resolve();
    });
    this.#app = app;
  }

  /** The fastify instance, for `inject()` in tests. */
  get app(): FastifyInstance {
    return this.#app;
  }

  /** Loads every route module (the registry included). */
  async ready(): Promise<void> {
    await this.#app.ready();
  }

  /** Listens on `host` (the configured `HOST` by default); refuses to expose the API without a token. */
  async listen(port: number, host: string = this.#runtime.config.HOST): Promise<number> {
    assertSafeBind(host, this.#servesApi, this.#runtime.config);
    this.#guard = this.#hostGuard(host);
    await this.#app.listen({ port, host });
    this.#listening = true;
    return (this.#app.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#listening = false;
    await this.#app.close();
  }

  #hostGuard(host: string): HostGuard {
    const { config } = this.#runtime;
    return new HostGuard({
      boundHost: host,
      allowedHosts: config.HTTP_ALLOWED_HOSTS,
      anyHost: isWildcard(host) && (config.STREAMFORGE_API_TOKEN !== undefined || !this.#servesApi),
    });
  }

  #hooks(app: App, buckets: TokenBuckets): void {
    const { config, metrics } = this.#runtime;
    app.addHook('onRequest', (req, reply, done) => {
      reply.header('x-request-id', req.id);
      const settings = req.routeOptions.config;
      if (settings.probe !== true) this.#guard.check(req.headers.host, req.headers.origin);
      if (settings.allow !== undefined) methodNotAllowed(req.method, req.routeOptions.url ?? req.url, settings.allow);
      const token = config.STREAMFORGE_API_TOKEN;
      const needsToken = settings.auth === 'api' || (settings.auth === 'metrics' && config.METRICS_REQUIRE_TOKEN);
      if (needsToken && token !== undefined && !bearerTokenMatches(req.headers.authorization, token)) {
        throw new StreamForgeError(ErrorCodes.UNAUTHORIZED, 'missing or wrong bearer token; accepted: Authorization: Bearer <STREAMFORGE_API_TOKEN>');
      }
      done();
    });
    // After validation: a malformed request is told what is wrong and costs no token.
    app.addHook('preHandler', (req, _reply, done) => {
      if (req.routeOptions.config.rateLimited === true) {
        const wait = buckets.take(req.ip);
        if (wait > 0) {
          throw new StreamForgeError(
            ErrorCodes.RATE_LIMITED,
            `more than ${config.API_RATE_LIMIT_PER_MINUTE} workflow creations a minute from this client (API_RATE_LIMIT_PER_MINUTE); retry in ${Math.ceil(wait)} s`,
            { retriable: true, details: { retryAfterSeconds: wait } },
          );
        }
      }
      done();
    });
    app.addHook('onResponse', (req, reply, done) => {
      const route = routeLabel(req);
      metrics.httpRequests.inc({ route, method: req.method, status: String(reply.statusCode) });
      metrics.httpDuration.observe({ route, method: req.method }, reply.elapsedTime / 1000);
      done();
    });
    app.setErrorHandler((raw, req, reply) => this.#answerError(raw, req, reply));
    app.setNotFoundHandler((req) => {
      throw new StreamForgeError(ErrorCodes.NOT_FOUND, `no route ${req.url.split('?')[0] ?? ''}; see /openapi.json`);
    });
  }

  #answerError(raw: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const err = fromFastifyError(raw, this.#runtime.config.HTTP_BODY_LIMIT_BYTES, req.headers['content-type']);
    const status = httpStatusOf(err);
    if (status >= 500) this.#log.error({ err: raw, reqId: req.id, route: routeLabel(req) }, 'request failed');
    return reply
      .code(status)
      .headers(errorHeaders(err))
      .type('application/json; charset=utf-8')
      .send(errorBody(err, req.id));
  }
}

/** A small fixed label for metrics: the route's pattern as the OpenAPI document writes it, never the raw URL. */
function routeLabel(req: FastifyRequest): string {
  const url = req.routeOptions.url;
  return url === undefined ? 'unmatched' : url.replace(/:(\w+)/g, '{$1}');
}
