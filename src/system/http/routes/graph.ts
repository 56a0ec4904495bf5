import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { GraphBody, GraphQuery } from '../../../protocol/index.ts';
import { graphRequestOf, queryGraph } from '../../query/index.ts';
import type { RouteContext } from '../route-context.ts';
import { bearer, errorResponses } from './error-responses.ts';

/** Correlation graphs of stored candles, as `streamforge graph` prints them. */
export const graphRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime }) => {
  app.get(
    '/graph',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'The correlation graph of several symbols: Pearson ρ of log returns over the window ending before `at`',
        description:
          '`symbols`: 2 or more, comma-separated. The window of `window` log returns (default 168) ends at the last candle opening ' +
          'before `at` (default `to`); edges are the pairs with |ρ| ≥ `threshold` (default 0.3) or each symbol\'s `top_k` strongest ' +
          '(not both). A symbol missing a candle where others have one carries its previous close.',
        tags: ['analytics'],
        security: bearer,
        querystring: GraphQuery,
        response: { 200: GraphBody, ...errorResponses },
      },
    },
    (req) => queryGraph(runtime.store, graphRequestOf(req.query)),
  );
  return Promise.resolve();
};
