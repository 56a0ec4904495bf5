import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../route-context.ts';

/** Prometheus metrics of this process (`streamforge_*`, base units); behind the token with `METRICS_REQUIRE_TOKEN`. */
export const metricsRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime }) => {
  app.get(
    '/metrics',
    {
      config: { auth: 'metrics' },
      schema: {
        summary: 'Prometheus metrics',
        tags: ['metrics'],
        response: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } } },
      },
    },
    async (_req, reply) => {
      const text = await runtime.metrics.registry.metrics();
      return reply.type(runtime.metrics.registry.contentType).send(text);
    },
  );
  return Promise.resolve();
};
