import type { Logger } from 'pino';
import type { Runtime } from '../runtime.ts';

/** What every route module is given when registered: the runtime it serves and the server's state. */
export interface RouteContext {
  readonly runtime: Runtime;
  readonly log: Logger;
  /** True once the server listens (the registry is ready). */
  readonly listening: () => boolean;
}

/**
 * Per-route settings the server's hooks act on (fastify's route `config`).
 * - `auth`: `api` needs the bearer token when `STREAMFORGE_API_TOKEN` is set; `metrics` needs it
 *   when `METRICS_REQUIRE_TOKEN` is true too; `none` never.
 * - `probe`: a health probe, answered whatever the `Host` (the kubelet asks by pod IP).
 * - `rateLimited`: takes a token of the client's bucket (`API_RATE_LIMIT_PER_MINUTE`).
 * - `allow`: set on the hidden routes of methods a path does not serve: answered 405 with it.
 */
export interface RouteSettings {
  readonly auth?: 'api' | 'metrics' | 'none';
  readonly probe?: boolean;
  readonly rateLimited?: boolean;
  readonly allow?: string;
}

declare module 'fastify' {
  // Declaration merging with fastify's own (empty) interface: an interface is required here.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends RouteSettings {}
}
