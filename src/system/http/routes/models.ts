import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ModelIdParams, ModelListBody, ModelMetadata, PredictionBody, PredictQuery } from '../../../protocol/index.ts';
import { modelServiceFor } from '../../query/index.ts';
import type { RouteContext } from '../route-context.ts';
import { bearer, errorResponses } from './error-responses.ts';

/** Stored models and their predictions, as `streamforge models` and `streamforge predict` print them. */
export const modelsRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime, log }) => {
  // One per server: loaded models are kept (the last few used) across requests.
  const models = modelServiceFor(runtime.config, runtime.store, log.child({ component: 'models' }));
  app.addHook('onClose', () => models.close());

  app.get(
    '/models',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'Stored models, newest first, with their test scores beside their baselines',
        tags: ['models'],
        security: bearer,
        response: { 200: ModelListBody, ...errorResponses },
      },
    },
    async () => ({ models: (await models.list()).map(({ history: _h, scaler: _s, ...listed }) => listed) }),
  );

  app.get(
    '/models/:id',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'One stored model\'s metadata (`latest`: the newest promoted model)',
        tags: ['models'],
        security: bearer,
        params: ModelIdParams,
        response: { 200: ModelMetadata, ...errorResponses },
      },
    },
    (req) => models.get(req.params.id),
  );

  app.get(
    '/models/:id/predict',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'A model\'s classes (UP, DOWN, FLAT) and probabilities per symbol, from the stored candles closed at or before `at`',
        description:
          '`latest` is the newest promoted model. The snapshot of the last candle closed at `at` is built from the stored candles before it ' +
          '(nothing later is read) and normalised with the model\'s own scaler. 404 for an unknown model; 400 when `at` is before the ' +
          'model\'s data plus its warm-up, or the store lacks the candles before `at`.',
        tags: ['models'],
        security: bearer,
        params: ModelIdParams,
        querystring: PredictQuery,
        response: { 200: PredictionBody, ...errorResponses },
      },
    },
    (req) => models.predict(req.params.id, req.query.at),
  );
  return Promise.resolve();
};
