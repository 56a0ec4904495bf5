import type { FastifyInstance, HTTPMethods } from 'fastify';
import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';

/**
 * 405 with `Allow` for a known path asked with another method (fastify would say 404). Collects
 * each path's methods as routes are added, then, once every route module is in, gives each path
 * a hidden route for the methods it lacks (every method fastify knows: TRACE and QUERY too). A
 * static path (`/queues/stop`) thus wins over a parameterised one (`/queues/:queue_id`) for every
 * method, as the router matches per method. The answer is given in `onRequest` (see
 * {@link methodNotAllowed}), before fastify looks at a body (it refuses a QUERY without one).
 */
export class MethodNotAllowed {
  readonly #methods = new Map<string, Set<string>>();
  #sealed = false;

  /** Registers the collecting hook: call before any route is added. */
  collect(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      if (this.#sealed) return;
      const set = this.#methods.get(route.url) ?? new Set<string>();
      for (const m of [route.method].flat()) set.add(m);
      this.#methods.set(route.url, set);
    });
  }

  /** Adds the 405 routes: call after every route module has registered its routes. */
  seal(app: FastifyInstance): void {
    this.#sealed = true;
    for (const [url, known] of this.#methods) {
      const others = app.supportedMethods.filter((m) => !known.has(m)) as HTTPMethods[];
      if (others.length === 0) continue;
      const allow = [...known].join(', ');
      app.route({ method: others, url, schema: { hide: true }, config: { auth: 'none', allow }, handler: (req) => methodNotAllowed(req.method, url, allow) });
    }
  }
}

/** The 405 of a method a path does not serve, naming the ones it does (also sent as `Allow`). */
export function methodNotAllowed(method: string, url: string, allow: string): never {
  throw new StreamForgeError(ErrorCodes.METHOD_NOT_ALLOWED, `${method} is not allowed on ${url.replace(/:(\w+)/g, '{$1}')}; allowed: ${allow}`, {
    details: { allow },
  });
}
