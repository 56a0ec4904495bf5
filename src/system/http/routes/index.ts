import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RouteContext } from '../route-context.ts';
import { consoleRoutes } from './console.ts';
import { deadLettersRoutes } from './dead-letters.ts';
import { eventsRoutes } from './events.ts';
import { gapsRoutes } from './gaps.ts';
import { graphRoutes } from './graph.ts';
import { healthRoutes } from './health.ts';
import { indicatorsRoutes } from './indicators.ts';
import { metricsRoutes } from './metrics.ts';
import { modelsRoutes } from './models.ts';
import { queuesRoutes } from './queues.ts';
import { replaysRoutes } from './replays.ts';
import { seriesRoutes } from './series.ts';

/**
 * The route modules, one per resource, each a fastify plugin given a {@link RouteContext}.
 *
 * To add a resource (models, graph, indicators, replays, events, products…): write
 * `routes/<resource>.ts` exporting a `FastifyPluginAsyncZod<RouteContext>` whose routes carry
 * zod schemas from `src/protocol` (querystring, params, body, response with `...errorResponses`)
 * and a `config` (`auth: 'api'` for data and control, `rateLimited` for costly creations); then add
 * it to the list below. Validation, `{code, message}` errors, 405 with `Allow`, auth, Host/Origin
 * checks, metrics and the OpenAPI document follow from the schemas and the config: nothing else to
 * write.
 */
export type RoutePlugin = FastifyPluginAsyncZod<RouteContext>;

/** The data and control API: served by the roles that host the manager (`all`, `manager`). */
export const API_ROUTES: readonly RoutePlugin[] = [
  queuesRoutes,
  deadLettersRoutes,
  seriesRoutes,
  gapsRoutes,
  replaysRoutes,
  indicatorsRoutes,
  graphRoutes,
  modelsRoutes,
  eventsRoutes,
  consoleRoutes,
];

/** What every process serves: probes and metrics. Stage roles serve only these. */
export const PROBE_ROUTES: readonly RoutePlugin[] = [healthRoutes, metricsRoutes];
