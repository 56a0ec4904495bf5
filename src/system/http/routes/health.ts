import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { HealthBody } from '../../../protocol/index.ts';
import type { RouteContext } from '../route-context.ts';

const probe = { auth: 'none', probe: true } as const;

/** Kubernetes probes: alive, ready (the manager serving, when this process hosts one), started. */
export const healthRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime, listening }) => {
  const schema = (summary: string) => ({ summary, tags: ['health'], response: { 200: HealthBody, 503: HealthBody } });
  app.get('/health/live', { config: probe, schema: { ...schema('The process is alive'), response: { 200: HealthBody } } }, () => ({ status: 'ok' }));
  app.get('/health/ready', { config: probe, schema: schema('Ready to serve: listening, and the manager running where this process hosts one') }, async (_req, reply) => {
    if (listening() && (runtime.manager === undefined || runtime.managerReady())) return reply.send({ status: 'ready' });
    return reply.code(503).send({ status: listening() ? 'manager not running' : 'starting' });
  });
  app.get('/health/startup', { config: probe, schema: schema('Started') }, async (_req, reply) =>
    listening() ? reply.send({ status: 'started' }) : reply.code(503).send({ status: 'starting' }),
  );
  return Promise.resolve();
};
