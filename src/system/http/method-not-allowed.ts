import type { FastifyInstance, HTTPMethods } from 'fastify';
import { ErrorCodes, StreamForgeError } from '../../protocol/index.ts';

const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * 405 with `Allow` for a known path asked with another method (fastify would say 404). Collects
 * each path's methods as routes are added, then, once every route module is in, gives each path
 * a hidden route for the methods it lacks. A static path (`/queues/stop`) thus wins over a
 * parameterised one (`/queues/:queue_id`) for every method, as the router matches per method.
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
      const others = METHODS.filter((m) => !known.has(m));
      if (others.length === 0) continue;
      const allow = [...known].join(', ');
      app.route({
        method: others,
        url,
        schema: { hide: true },
        config: { auth: 'none' },
        handler: (req) => {
          throw new StreamForgeError(ErrorCodes.METHOD_NOT_ALLOWED, `${req.method} is not allowed on ${url.replace(/:(\w+)/g, '{$1}')}; allowed: ${allow}`, {
            details: { allow },
          });
        },
      });
    }
  }
}
