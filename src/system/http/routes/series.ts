import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CandlesPage, CandlesQuery, MAX_JSON_PAGE, MAX_STREAMED_RECORDS, RecordsPage, RecordsQuery, ValidationError } from '../../../protocol/index.ts';
import type { Candle, SeriesFormat } from '../../../protocol/index.ts';
import { candleJson, candleSeriesType, readSeries, seriesJson } from '../../query/index.ts';
import type { SeriesStream } from '../../query/index.ts';
import type { RouteContext } from '../route-context.ts';
import { primed, SERIES_CONTENT_TYPES, seriesStream } from '../series-output.ts';
import { bearer, errorResponses } from './error-responses.ts';

const FORMATS_DOC =
  '`format=csv` or `ndjson` streams every record of the range up to `limit` (default and at most 1,000,000), read from the store as it is written; ' +
  '`format=json` (the default) answers a page of at most `limit` records (at most 10,000), with `next` when more follow: pass it back as `after`.';

const ok = (page: z.ZodType, description: string) => ({
  description,
  content: {
    'application/json': { schema: page },
    'text/csv': { schema: z.string() },
    'application/x-ndjson': { schema: z.string() },
  },
});

interface SeriesRequest {
  readonly symbol: string;
  readonly type: string;
  readonly from: number;
  readonly to: number;
  readonly format: SeriesFormat;
  readonly limit?: number | undefined;
  readonly after?: string | undefined;
}

/** Stored series over `[from, to)`: candles by interval, any record type by type; streamed or paged. */
export const seriesRoutes: FastifyPluginAsyncZod<RouteContext> = (app, { runtime, log }) => {
  /** Opens the series for a request; the store stops being read when the caller goes away. */
  const open = (q: SeriesRequest, reply: FastifyReply, limit: number): Promise<SeriesStream> => {
    if (q.from >= q.to) throw new ValidationError('invalid query: from must be before to (the range is half-open: [from, to))');
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) return;
      gone.abort();
      log.debug({ reqId: reply.request.id }, 'series caller went away');
    });
    return readSeries(runtime.store, { symbol: q.symbol, type: q.type, fromMs: q.from, toMs: q.to, limit, signal: gone.signal, ...(q.after !== undefined ? { after: q.after } : {}) });
  };

  /** Answers csv/ndjson with a stream (true); false for json, which the caller pages. */
  const streamed = async (q: SeriesRequest, reply: FastifyReply): Promise<boolean> => {
    if (q.format === 'json') return false;
    const { spec, records } = await open(q, reply, q.limit ?? MAX_STREAMED_RECORDS);
    const body = seriesStream(spec, q.format, await primed(records), log);
    // Not returned: a reply is thenable, and awaiting it would wait for the whole stream.
    void reply.type(SERIES_CONTENT_TYPES[q.format]).send(body);
    return true;
  };

  /** One JSON page: up to the page size, and a cursor when a record follows it. */
  const page = async <T>(q: SeriesRequest, reply: FastifyReply, shape: (spec: SeriesStream['spec'], r: never) => T) => {
    const size = Math.min(q.limit ?? MAX_JSON_PAGE, MAX_JSON_PAGE);
    const series = await open(q, reply, size + 1);
    const rows: T[] = [];
    let last;
    let more = false;
    for await (const r of series.records) {
      if (rows.length === size) {
        more = true;
        break;
      }
      rows.push(shape(series.spec, r as never));
      last = r;
    }
    return { rows, ...(more && last !== undefined ? { next: series.cursorAfter(last) } : {}) };
  };

  app.get(
    '/candles',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'Stored candles of [from, to), decimals as the exchange sent them',
        description: FORMATS_DOC,
        tags: ['series'],
        security: bearer,
        querystring: CandlesQuery,
        response: { 200: ok(CandlesPage, 'Candles ordered by open time'), ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = { ...req.query, type: candleSeriesType(req.query.interval) };
      if (await streamed(q, reply)) return reply;
      const { rows, next } = await page(q, reply, (_spec, c: Candle) => candleJson(c));
      return reply.type('application/json; charset=utf-8').send({ symbol: q.symbol, interval: q.interval, count: rows.length, candles: rows, ...(next ? { next } : {}) });
    },
  );

  app.get(
    '/records',
    {
      config: { auth: 'api' },
      schema: {
        summary: 'Stored records of any series over [from, to): candles, aggregate trades, trades, depth',
        description: `${FORMATS_DOC} Types of one series read the same records (api_trades, archive_trades and ws_aggtrades are one series).`,
        tags: ['series'],
        security: bearer,
        querystring: RecordsQuery,
        response: { 200: ok(RecordsPage, 'Records ordered by time, then the exchange\'s id'), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (await streamed(req.query, reply)) return reply;
      const { rows, next } = await page(req.query, reply, seriesJson);
      return reply.type('application/json; charset=utf-8').send({ symbol: req.query.symbol, type: req.query.type, count: rows.length, records: rows, ...(next ? { next } : {}) });
    },
  );
  return Promise.resolve();
};
