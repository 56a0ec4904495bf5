import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorCodes, GapRepairBody, GapReportBody, GapsQuery, StreamForgeError } from '../../../protocol/index.ts';
import { runGapAudit } from '../../query/index.ts';
import type { GapAuditRequest } from '../../query/index.ts';
import type { RouteContext } from '../route-context.ts';
import { bearer, errorResponses } from './error-responses.ts';

/** Gap audits served at once: each walks a series and spends exchange weight. */
const MAX_CONCURRENT_AUDITS = 2;

/** Audits (and repairs) of this process's store against the exchange, as `streamforge gaps` runs them. */
export const gapsRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime, log }) => {
  let audits = 0;
  /** At most {@link MAX_CONCURRENT_AUDITS} at once; one whose caller went away is aborted, its exchange requests with it. */
  const audit = async (req: Omit<GapAuditRequest, 'signal'>, reply: FastifyReply) => {
    if (audits >= MAX_CONCURRENT_AUDITS) {
      throw new StreamForgeError(ErrorCodes.UNAVAILABLE, `${MAX_CONCURRENT_AUDITS} gap audits are running; retry when one has ended`, { retriable: true });
    }
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) gone.abort(new Error('the caller went away'));
    };
    reply.raw.once('close', onClose);
    audits++;
    try {
      const { config, store, metrics, stageDeps } = runtime;
      return await runGapAudit({ store, http: stageDeps.http, metrics, log, config }, { ...req, signal: gone.signal });
    } finally {
      audits--;
      reply.raw.off('close', onClose);
    }
  };
  const responses = { 200: GapReportBody, ...errorResponses };

  app.get(
    '/gaps',
    {
      config: { auth: 'api' },
      schema: {
        summary: "Holes in a stored series over [from, to), ours told from the exchange's (as `streamforge gaps`)",
        description: 'It asks the exchange, so a long range takes a while; two audits at a time, a third gets 503.',
        tags: ['gaps'],
        security: bearer,
        querystring: GapsQuery,
        response: responses,
      },
    },
    (req, reply) => {
      const q = req.query;
      return audit({ symbol: q.symbol, type: q.type, fromMs: q.from, toMs: q.to, quietMs: q.quiet_minutes * 60_000, repair: false }, reply);
    },
  );
  app.post(
    '/gaps/repair',
    {
      config: { auth: 'api' },
      schema: { summary: 'Audit, fetch our holes again over REST, audit once more', tags: ['gaps'], security: bearer, body: GapRepairBody, response: responses },
    },
    (req, reply) => {
      const b = req.body;
      return audit({ symbol: b.symbol, type: b.type, fromMs: b.from, toMs: b.to, quietMs: b.quiet_minutes * 60_000, repair: true }, reply);
    },
  );
  return Promise.resolve();
};
