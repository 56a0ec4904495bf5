import { PassThrough } from 'node:stream';
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorCodes, EventsQuery, StreamForgeError } from '../../../protocol/index.ts';
import { EventHub } from '../event-hub.ts';
import type { StreamEvent } from '../event-hub.ts';
import type { RouteContext } from '../route-context.ts';
import { bearer, errorResponses } from './error-responses.ts';

/** A client this far behind (bytes its socket has not taken) is dropped; it reconnects with `Last-Event-ID`. */
const MAX_BUFFERED_BYTES = 1_048_576;
/** What `EventSource` and the console wait before reconnecting. */
const RETRY_MS = 2_000;

const DESCRIPTION =
  'Server-Sent Events: `telemetry` (a stage\'s event from `queue-events`, as the stage sent it) and `workflow` (a workflow as the manager saved it: ' +
  'status, stages, records, restarts, error), each with an `id`. The stream opens with `ready` (`{"last_id"}`). Reconnect with the `Last-Event-ID` ' +
  'header to be sent what followed it; when those events are no longer kept (EVENTS_REPLAY_SIZE) or come from an earlier run of the server, a ' +
  '`reset` event (`{"reason"}`) says so: read the workflows again. A comment line every EVENTS_KEEPALIVE_MS keeps idle streams open.';

/** `GET /events`: telemetry and workflow changes as they happen, resumable with `Last-Event-ID`. */
export const eventsRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime, log }) => {
  const { config, clock } = runtime;
  const hub = new EventHub({
    bus: runtime.bus,
    clock,
    log,
    topic: config.QUEUE_EVENTS_TOPIC,
    changes: runtime.workflowChanges,
    replaySize: config.EVENTS_REPLAY_SIZE,
  });
  // Not awaited: joining a Kafka group takes seconds the server's start need not wait for.
  const started = hub.start();
  app.addHook('onClose', () => hub.close());
  let clients = 0;

  app.get(
    '/events',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'Telemetry and workflow changes, live (Server-Sent Events)',
        description: DESCRIPTION,
        tags: ['events'],
        security: bearer,
        querystring: EventsQuery,
        response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses },
      },
    },
    async (req, typedReply) => {
      // The stream is sent past the zod serialiser (which knows JSON bodies only).
      const reply: FastifyReply = typedReply;
      // A stream opens once the hub reads the telemetry (or has tried to): none opens into a gap.
      await started;
      if (req.raw.destroyed) return typedReply;
      if (clients >= config.EVENTS_MAX_CLIENTS) {
        throw new StreamForgeError(ErrorCodes.UNAVAILABLE, `${clients} event streams are open, as many as EVENTS_MAX_CLIENTS (${config.EVENTS_MAX_CLIENTS}) allows; retry later`, {
          retriable: true,
        });
      }
      const only = req.query.queue_id;
      const wanted = (e: StreamEvent) => only === undefined || e.queueId === only;
      const body = new PassThrough();
      const write = (frame: string) => {
        if (body.writableLength > MAX_BUFFERED_BYTES) {
          log.warn({ reqId: req.id, buffered: body.writableLength }, 'event stream client too slow: dropped');
          body.end();
          return;
        }
        if (!body.writableEnded) body.write(frame);
      };
      const send = (e: StreamEvent) => {
        if (wanted(e)) write(`id: ${e.id}\nevent: ${e.kind}\ndata: ${e.data}\n\n`);
      };

      write(`retry: ${RETRY_MS}\n\n`);
      const lastEventId = req.headers['last-event-id'];
      if (typeof lastEventId === 'string' && lastEventId !== '') {
        const resume = hub.after(lastEventId);
        if (resume.ok) for (const e of resume.events) send(e);
        else write(`event: reset\ndata: ${JSON.stringify({ reason: resume.reason })}\n\n`);
      }
      const lastId = hub.lastId ?? `${hub.epoch}-0`;
      write(`id: ${lastId}\nevent: ready\ndata: ${JSON.stringify({ last_id: lastId })}\n\n`);
      clients++;
      const stop = hub.listen(send);
      const keepalive = clock.setInterval(() => write(': keepalive\n\n'), config.EVENTS_KEEPALIVE_MS);
      reply.raw.once('close', () => {
        clients--;
        stop();
        keepalive.cancel();
        body.end();
      });
      // Not returned: a reply is thenable, and awaiting it would wait for the whole stream.
      void reply
        .headers({ 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' })
        .type('text/event-stream; charset=utf-8')
        .send(body);
      return typedReply;
    },
  );
  return Promise.resolve();
};
