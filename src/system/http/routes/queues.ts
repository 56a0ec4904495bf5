import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  CreateGraphBody,
  CreateQueueBody,
  CreateQueueResponse,
  isAnalyticsType,
  roleOfTarget,
  describeAcceptedTypes,
  ErrorCodes,
  parseStreamType,
  QueueIdParams,
  QueueListResponse,
  QueuePage,
  QueuesQuery,
  StartPipelineBody,
  StopQueueBody,
  StreamForgeError,
  Targets,
  ValidationError,
  Workflow,
} from '../../../protocol/index.ts';
import type { Workflow as WorkflowType } from '../../../protocol/index.ts';
import { graphWorkflowRequest, openLiveRange, WorkflowRegistry } from '../../../actors/index.ts';
import type { CreateWorkflowRequest } from '../../../actors/index.ts';
import { queuePage } from '../../query/index.ts';
import { LocalManager } from '../../manager/index.ts';
import type { RouteContext } from '../route-context.ts';
import { bearer, errorResponses } from './error-responses.ts';

/**
 * `POST /queues` takes either body shape: the new ones, or the original's start-pipeline body. One
 * flat union, new shapes first: a bad body is told in the words of the shape it came closest to.
 */
const CreateBody = z.union([...CreateQueueBody.options, CreateGraphBody, StartPipelineBody]);

/** The original's `GET /queues/list`: the newest this many, as one list. */
const LEGACY_LIST_SIZE = 1_000;

/**
 * Workflows: start (both body shapes, rate-limited per client and capped in number), list a page at
 * a time (and the original's whole list), get one, stop one (both paths).
 */
export const queuesRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { runtime }) => {
  const registry = new WorkflowRegistry(runtime.store);
  await registry.init();
  const manager = runtime.manager ? new LocalManager(runtime.manager, runtime.store) : undefined;
  const requireManager = (): LocalManager => {
    if (!manager) throw new StreamForgeError(ErrorCodes.NOT_FOUND, 'this process does not host the manager (role manager or all)');
    return manager;
  };
  const max = runtime.config.MAX_ACTIVE_WORKFLOWS;
  // Creations one at a time: the count of active workflows and the creation that follows it must not interleave.
  let creations: Promise<unknown> = Promise.resolve();
  const create = (request: CreateWorkflowRequest): Promise<WorkflowType> => {
    const run = creations.then(async () => {
      // Through the registry's lifecycle index: the active workflows only, not the whole registry.
      const active = (await registry.listIn('active')).length;
      if (active >= max) {
        throw new StreamForgeError(
          ErrorCodes.TOO_MANY_WORKFLOWS,
          `${active} workflows are active, as many as MAX_ACTIVE_WORKFLOWS (${max}) allows; stop one (POST /queues/{queue_id}/stop) or wait for one to end`,
        );
      }
      return requireManager().create(request);
    });
    // The next creation waits for this one to settle, whatever its outcome; the outcome goes to its caller.
    creations = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
  const created = (wf: WorkflowType) => ({
    status: 'ok' as const,
    queue_id: wf.queue_id,
    ids: Object.fromEntries(Object.entries(wf.stages).map(([target, s]) => [target, s.telemetry_id])),
    workflow: wf,
  });
  const creating = { auth: 'api', rateLimited: true } as const;
  const api = { auth: 'api' } as const;

  app.post(
    '/queues',
    {
      config: creating,
      schema: {
        summary:
          'Start a workflow: {symbol, type, time_range} or {symbol, type, from, to}; a graph workflow {type: gnn_graph|gnn_train, symbols, interval, time_range | from/to (none: live), horizon?, epochs?, seed?, arch?, window?, threshold? | top_k?}; also the original\'s start-pipeline body',
        tags: ['queues'],
        security: bearer,
        body: CreateBody,
        response: { 201: CreateQueueResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const request = 'microservices' in body ? fromStartPipeline(body) : 'symbols' in body ? graphWorkflowRequest(body, Date.now()) : fromCreate(body);
      return reply.code(201).send(created(await create(request)));
    },
  );
  app.post(
    '/queues/start-pipeline',
    {
      config: creating,
      schema: { summary: "The original's start-pipeline", tags: ['queues'], security: bearer, body: StartPipelineBody, response: { 201: CreateQueueResponse, ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(created(await create(fromStartPipeline(req.body)))),
  );
  app.get(
    '/queues',
    {
      config: api,
      schema: {
        summary: 'Workflows, newest first, a page at a time (`next` continues as `after`)',
        tags: ['queues'],
        security: bearer,
        querystring: QueuesQuery,
        response: { 200: QueuePage, ...errorResponses },
      },
    },
    (req) => queuePage(runtime.store, { limit: req.query.limit, ...(req.query.after !== undefined ? { after: req.query.after } : {}) }),
  );
  app.get(
    '/queues/list',
    { config: api, schema: { summary: `The original's list: the newest ${LEGACY_LIST_SIZE} workflows`, tags: ['queues'], security: bearer, response: { 200: QueueListResponse, ...errorResponses } } },
    async () => ({ queues: (await queuePage(runtime.store, { limit: LEGACY_LIST_SIZE })).queues }),
  );
  app.post(
    '/queues/stop',
    { config: api, schema: { summary: "Stop a workflow (the original's path)", tags: ['queues'], security: bearer, body: StopQueueBody, response: { 202: Workflow, ...errorResponses } } },
    async (req, reply) => reply.code(202).send(await requireManager().stop(req.body.queue_id)),
  );
  app.get(
    '/queues/:queue_id',
    { config: api, schema: { summary: 'One workflow', tags: ['queues'], security: bearer, params: QueueIdParams, response: { 200: Workflow, ...errorResponses } } },
    async (req) => {
      const wf = await registry.get(req.params.queue_id);
      if (!wf) throw new StreamForgeError(ErrorCodes.NOT_FOUND, `no workflow with queue_id ${req.params.queue_id}`);
      return wf;
    },
  );
  app.post(
    '/queues/:queue_id/stop',
    { config: api, schema: { summary: 'Stop a workflow', tags: ['queues'], security: bearer, params: QueueIdParams, response: { 202: Workflow, ...errorResponses } } },
    async (req, reply) => reply.code(202).send(await requireManager().stop(req.params.queue_id)),
  );
};

function fromCreate(body: CreateQueueBody): CreateWorkflowRequest {
  const range = 'time_range' in body ? body.time_range : { fromMs: body.from, toMs: body.to };
  if (range.fromMs >= range.toMs) throw new ValidationError('invalid body: from must be before to (the range is half-open: [from, to))');
  return { symbol: body.symbol, type: body.type, range };
}

function fromStartPipeline(body: StartPipelineBody): CreateWorkflowRequest {
  // The stage the pipeline is about: a graph one when any is named, else the loader.
  const graph = body.microservices.find((m) => isAnalyticsType(m.type) || roleOfTarget(m.target) === 'graph-builder' || roleOfTarget(m.target) === 'trainer');
  if (graph !== undefined) {
    const type = isAnalyticsType(graph.type) ? graph.type : roleOfTarget(graph.target) === 'trainer' ? 'gnn_train' : 'gnn_graph';
    if (!body.symbols || !body.interval) {
      throw new ValidationError(`invalid body: a ${type} pipeline needs symbols (at least 2, e.g. ["BTCUSDT","ETHUSDT"]) and interval (e.g. "1h")`);
    }
    return graphWorkflowRequest({ type, symbols: body.symbols, interval: body.interval, ...(body.time_range ? { time_range: body.time_range } : {}) }, Date.now());
  }
  const loader = body.microservices.find((m) => m.target === Targets.loader) ?? body.microservices[0];
  const type = loader?.type ?? '';
  const parsed = parseStreamType(type);
  if (!parsed) {
    throw new ValidationError(`invalid body: microservices type ${JSON.stringify(type)} is not supported; accepted: ${describeAcceptedTypes()}, gnn_graph, gnn_train`);
  }
  if (!body.symbol) throw new ValidationError('invalid body: symbol is required (e.g. "BTCUSDT")');
  if (body.time_range) return { symbol: body.symbol, type, range: body.time_range };
  // The original started live streams without a range: live from now until stopped.
  if (parsed.source === 'ws') return { symbol: body.symbol, type, range: openLiveRange(Date.now()) };
  throw new ValidationError(`invalid body: time_range is required for ${parsed.source}_* types; accepted: "YYYY-MM-DD:YYYY-MM-DD"`);
}

/** A graph workflow: over its range, or live (no range, or `from` alone) from its history start until stopped. */
