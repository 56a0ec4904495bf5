import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../protocol/index.ts';

/**
 * The only body the API reads: JSON, as `application/json` (any other type, `text/plain` included,
 * is answered 415). An empty body is no body (`POST /queues/{id}/stop` sends none); the route's
 * schema says whether it needed one.
 */
export function acceptJsonBodiesOnly(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch (err) {
      done(new ValidationError('body is not valid JSON; expected a JSON object', { cause: err }), undefined);
    }
  });
}
