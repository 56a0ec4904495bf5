import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IndicatorsBody, IndicatorsQuery } from '../../../protocol/index.ts';
import { indicatorText, readIndicators } from '../../query/index.ts';
import type { RouteContext } from '../route-context.ts';
import { bearer, errorResponses } from './error-responses.ts';

const CONTENT_TYPES = { json: 'application/json; charset=utf-8', csv: 'text/csv; charset=utf-8' } as const;

/** Typed as any schema: the answer is a stream written as it is computed, not an object fastify serialises. */
const streamed = (json: z.ZodType) => ({
  description: 'One row per candle: `open_time` (epoch ms), then one column per indicator',
  content: { 'application/json': { schema: json }, 'text/csv': { schema: z.string() } },
});

/** Indicators of stored candles, as `streamforge indicators` prints them. */
export const indicatorsRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime, log }) => {
  app.get(
    '/indicators',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'Technical indicators of one symbol\'s stored candles over [from, to)',
        description:
          '`ind`: a comma-separated list such as `ema:20,rsi:14,atr:14,vwap:24` (ema, sma, rsi, atr, vwap, logret, vol). ' +
          'One row per stored candle, `null` (an empty CSV cell) while an indicator warms up. Stored candles before `from` are read ' +
          'to warm the indicators up (`warmup` says how many); a value at t uses candles up to t only. At most 1,000,000 rows; ' +
          'the answer is written as it is computed.',
        tags: ['analytics'],
        security: bearer,
        querystring: IndicatorsQuery,
        response: {
          200: streamed(IndicatorsBody),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const stream = await readIndicators(runtime.store, { symbol: q.symbol, interval: q.interval, fromMs: q.from, toMs: q.to, specs: q.ind, signal: gone.signal });
      const body = Readable.from(indicatorText(stream, q.format), { objectMode: false });
      body.once('error', (err) => log.warn({ err, reqId: req.id }, 'indicators stream failed'));
      // Not returned: a reply is thenable, and awaiting it would wait for the whole stream.
      void reply.type(CONTENT_TYPES[q.format]).send(body);
      return reply;
    },
  );
  return Promise.resolve();
};
