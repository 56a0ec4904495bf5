import { z } from 'zod';
import { CreateQueueBody, ErrorBody, GapRepairBody, GapReportBody, QueueListResponse, StartPipelineBody, StopQueueBody, Workflow, CreateQueueResponse, INTERVALS, STREAM_TYPE_EXAMPLES } from '../../protocol/index.ts';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'openapi-3.0' });

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const errors = {
  '400': { description: 'Invalid request: the message names the field and what is accepted', content: json('ErrorBody') },
  '401': { description: 'Missing or wrong bearer token (when STREAMFORGE_API_TOKEN is set)', content: json('ErrorBody') },
};

/** A GET of stored records of one series over [from, to): symbol, the series selector, range, format, limit. */
function seriesQuery(operationId: string, selector: Record<string, unknown>, description: string) {
  return {
    get: {
      operationId,
      parameters: [
        { name: 'symbol', in: 'query', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,20}$' } },
        selector,
        { name: 'from', in: 'query', required: true, schema: { type: 'string' }, description: 'YYYY-MM-DD or ISO 8601, UTC' },
        { name: 'to', in: 'query', required: true, schema: { type: 'string' }, description: 'exclusive' },
        { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'] } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000000 } },
      ],
      responses: {
        '200': { description, content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } },
        ...errors,
      },
    },
  };
}

/** The API description served at `/openapi.json`, its bodies derived from the zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  const queueId = { name: 'queue_id', in: 'path', required: true, schema: { type: 'string' } };
  const create = {
    requestBody: { required: true, content: json('CreateQueueBody') },
    responses: { '201': { description: 'Workflow created', content: json('CreateQueueResponse') }, ...errors },
  };
  return {
    openapi: '3.0.3',
    info: { title: 'StreamForge manager API', version: '0.1.0' },
    paths: {
      '/queues': {
        post: { operationId: 'createQueue', summary: 'Start a workflow', ...create },
        get: { operationId: 'listQueues', responses: { '200': { description: 'All workflows', content: json('QueueListResponse') }, ...errors } },
      },
      '/queues/start-pipeline': {
        post: {
          operationId: 'startPipeline',
          summary: "The original's start-pipeline",
          requestBody: { required: true, content: json('StartPipelineBody') },
          responses: { '201': { description: 'Workflow created', content: json('CreateQueueResponse') }, ...errors },
        },
      },
      '/queues/list': { get: { operationId: 'listQueuesLegacy', responses: { '200': { description: 'All workflows', content: json('QueueListResponse') }, ...errors } } },
      '/queues/stop': {
        post: {
          operationId: 'stopQueueLegacy',
          requestBody: { required: true, content: json('StopQueueBody') },
          responses: { '202': { description: 'Stop requested', content: json('Workflow') }, '404': { description: 'Unknown queue', content: json('ErrorBody') }, ...errors },
        },
      },
      '/queues/{queue_id}': {
        get: {
          operationId: 'getQueue',
          parameters: [queueId],
          responses: { '200': { description: 'The workflow', content: json('Workflow') }, '404': { description: 'Unknown queue', content: json('ErrorBody') }, ...errors },
        },
      },
      '/queues/{queue_id}/stop': {
        post: {
          operationId: 'stopQueue',
          parameters: [queueId],
          responses: { '202': { description: 'Stop requested', content: json('Workflow') }, '404': { description: 'Unknown queue', content: json('ErrorBody') }, ...errors },
        },
      },
      '/candles': seriesQuery(
        'getCandles',
        { name: 'interval', in: 'query', required: true, schema: { type: 'string', enum: INTERVALS } },
        'Candles, decimals as the exchange sent them',
      ),
      '/records': seriesQuery(
        'getRecords',
        { name: 'type', in: 'query', required: true, schema: { type: 'string', enum: STREAM_TYPE_EXAMPLES }, description: 'any type of the series; types of one series read the same records' },
        'Records of the series in [from, to), decimals as the exchange sent them',
      ),
      '/gaps': {
        get: {
          operationId: 'auditGaps',
          summary: 'Holes in a stored series over [from, to), ours told from the exchange\'s (as `streamforge gaps`)',
          parameters: [
            { name: 'symbol', in: 'query', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,20}$' } },
            { name: 'type', in: 'query', required: true, schema: { type: 'string', enum: STREAM_TYPE_EXAMPLES }, description: 'a candle or trade type; order books are not audited' },
            { name: 'from', in: 'query', required: true, schema: { type: 'string' }, description: 'YYYY-MM-DD or ISO 8601, UTC' },
            { name: 'to', in: 'query', required: true, schema: { type: 'string' }, description: 'exclusive' },
            { name: 'quiet_minutes', in: 'query', schema: { type: 'number', exclusiveMinimum: true, minimum: 0, maximum: 10080, default: 5 } },
          ],
          responses: {
            '200': { description: 'The audit; it asks the exchange, so it may take a while for long ranges', content: json('GapReportBody') },
            '502': { description: 'The exchange failed or could not be reached', content: json('ErrorBody') },
            '503': { description: 'The exchange rate-limited or banned this IP, or the store is unavailable', content: json('ErrorBody') },
            ...errors,
          },
        },
      },
      '/gaps/repair': {
        post: {
          operationId: 'repairGaps',
          summary: 'Audit, fetch our holes again over REST, audit once more',
          requestBody: { required: true, content: json('GapRepairBody') },
          responses: {
            '200': { description: 'The audit after the repair, with what it wrote and the audit before it', content: json('GapReportBody') },
            '502': { description: 'The exchange failed or could not be reached', content: json('ErrorBody') },
            '503': { description: 'The exchange rate-limited or banned this IP, or the store is unavailable', content: json('ErrorBody') },
            ...errors,
          },
        },
      },
      '/health/live': { get: { operationId: 'live', responses: { '200': { description: 'Process is alive' } } } },
      '/health/ready': { get: { operationId: 'ready', responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } } } },
      '/health/startup': { get: { operationId: 'startup', responses: { '200': { description: 'Started' }, '503': { description: 'Starting' } } } },
      '/metrics': { get: { operationId: 'metrics', responses: { '200': { description: 'Prometheus metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
    components: {
      schemas: {
        CreateQueueBody: schema(CreateQueueBody, 'input'),
        StartPipelineBody: schema(StartPipelineBody, 'input'),
        StopQueueBody: schema(StopQueueBody, 'input'),
        CreateQueueResponse: schema(CreateQueueResponse),
        QueueListResponse: schema(QueueListResponse),
        Workflow: schema(Workflow),
        ErrorBody: schema(ErrorBody),
        GapRepairBody: schema(GapRepairBody, 'input'),
        GapReportBody: schema(GapReportBody),
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
