import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ReplayBody, ReplayIdParams, ReplayStatusBody } from '../../../protocol/index.ts';
import { MAX_ACTIVE_REPLAYS, ReplayRegistry } from '../../replay/index.ts';
import type { RouteContext } from '../route-context.ts';
import { bearer, errorResponses } from './error-responses.ts';

/** Replays of stored records into a Kafka topic or onto a local WebSocket, as `streamforge replay` runs them. */
export const replaysRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime, log }) => {
  const replays = new ReplayRegistry({ store: runtime.store, bus: runtime.bus, clock: runtime.clock, log: log.child({ component: 'replays' }) });
  app.addHook('onClose', () => replays.close());
  app.post(
    '/replays',
    {
      config: { auth: 'api', rateLimited: true },
      schema: {
        summary: 'Start a replay of stored records of several symbols, merged in event-time order, into a topic or onto a WebSocket',
        description:
          'Exactly one of `topic` (keyed by symbol; `message_format` record or batch) and `ws_port` (Binance combined-stream frames; 0: any free port, named in the answer). ' +
          'Holes in the stored range are found from the store alone before the first record; with `fail_on_holes` the replay then fails. ' +
          `At most ${MAX_ACTIVE_REPLAYS} replays at a time (409).`,
        tags: ['replays'],
        security: bearer,
        body: ReplayBody,
        response: { 202: ReplayStatusBody, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(202).send(await replays.start(req.body)),
  );
  app.get(
    '/replays/:id',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'A replay: status, records sent, the replayed clock, the holes found',
        tags: ['replays'],
        security: bearer,
        params: ReplayIdParams,
        response: { 200: ReplayStatusBody, ...errorResponses },
      },
    },
    (req) => Promise.resolve(replays.get(req.params.id)),
  );
  return Promise.resolve();
};
