import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DeadLettersBody, DeadLettersQuery, deadLetterTopicOf, ErrorCodes, QueueIdParams, StreamForgeError } from '../../../protocol/index.ts';
import { WorkflowRegistry } from '../../../actors/index.ts';
import { readDeadLetters } from '../../query/index.ts';
import type { RouteContext } from '../route-context.ts';
import { bearer, errorResponses } from './error-responses.ts';

/** A workflow's dead letters: what its connector could not process, with the reason, read from its dead-letter topic. */
export const deadLettersRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { runtime, log }) => {
  const registry = new WorkflowRegistry(runtime.store);
  await registry.init();
  app.get(
    '/queues/:queue_id/dead-letters',
    {
      config: { auth: 'api' },
      schema: {
        summary: "A workflow's dead letters (records its connector could not process, with the error), oldest first, at most `limit`",
        tags: ['queues'],
        security: bearer,
        params: QueueIdParams,
        querystring: DeadLettersQuery,
        response: { 200: DeadLettersBody, ...errorResponses },
      },
    },
    async (req) => {
      const wf = await registry.get(req.params.queue_id);
      if (!wf) throw new StreamForgeError(ErrorCodes.NOT_FOUND, `no workflow with queue_id ${req.params.queue_id}`);
      const topic = deadLetterTopicOf(wf.kafka_topic);
      if (wf.topics_deleted_at !== undefined) return { queue_id: wf.queue_id, topic, dead_letters: [], more: false, topic_deleted: true };
      const page = await readDeadLetters(runtime.bus, runtime.clock, log, topic, { limit: req.query.limit });
      return { queue_id: wf.queue_id, topic, dead_letters: page.deadLetters, more: page.more, topic_deleted: false };
    },
  );
};
