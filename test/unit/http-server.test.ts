// The fastify server's shared behaviour, through `inject()` on a real runtime's store: errors,
// 405/415/401/403/429/409, role routes, paging, symbols. Streaming over a socket is in
// test/integration/http-streaming.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { Store } from '../../src/actors/index.ts';
import { WorkflowRegistry } from '../../src/actors/index.ts';
import type { Workflow } from '../../src/protocol/index.ts';
import { ConfigError, StoreError } from '../../src/protocol/index.ts';
import { candlesCommand } from '../../src/system/cli/candles-command.ts';
import { UsageError } from '../../src/system/cli/usage-error.ts';
import { loadConfig, stageCommandFromConfig } from '../../src/system/config/index.ts';
import { PROBE_ROUTES } from '../../src/system/http/index.ts';
import { HTTP_LOG_REDACTION } from '../../src/system/http/redact-authorization.ts';
import { startHttpTestServer } from '../helpers/http-test-server.ts';
import { storeWith } from '../helpers/store-wrapper.ts';
import type { HttpTestServer } from '../helpers/http-test-server.ts';

const TOKEN = 'unit-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };
const validCreate = { symbol: 'BTCUSDT', type: 'api_candles_1h', time_range: '2024-08-01:2024-08-02' };

async function withServer(env: Record<string, string>, fn: (t: HttpTestServer) => Promise<void>, options: Parameters<typeof startHttpTestServer>[1] = {}): Promise<void> {
  const t = await startHttpTestServer(env, options);
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

function workflow(queueId: string, createdAt: number, status: Workflow['status']): Workflow {
  return {
    queue_id: queueId,
    symbol: 'BTCUSDT',
    type: 'api_candles_1h',
    time_range: '2024-08-01:2024-08-02',
    from_ms: Date.parse('2024-08-01'),
    to_ms: Date.parse('2024-08-02'),
    status,
    kafka_topic: `${queueId}-data`,
    collection_name: 'btcusdt_api_candles_1h_2024_08_01',
    created_at: createdAt,
    updated_at: createdAt,
    stages: {},
  };
}

/** Workflows written as the manager writes them: through the registry. */
async function seedQueues(store: Store, workflows: readonly Workflow[]): Promise<void> {
  const registry = new WorkflowRegistry(store);
  await registry.init();
  for (const w of workflows) await registry.save(w);
}

describe('HTTP server: methods, media types, errors', () => {
  it('answers a known path asked with another method 405 with Allow (each method once), an unknown path 404', () =>
    withServer({}, async ({ server }) => {
      const cases: Array<[string, string, string[]]> = [
        ['DELETE', '/queues', ['GET', 'POST']],
        ['GET', '/queues/stop', ['POST']],
        ['PUT', '/queues/wf-x', ['GET']],
        ['POST', '/health/live', ['GET']],
        ['HEAD', '/records', ['GET']],
        ['OPTIONS', '/gaps/repair', ['POST']],
        ['TRACE', '/candles', ['GET']],
        ['QUERY', '/queues/wf-x/stop', ['POST']],
      ];
      for (const [method, url, allowed] of cases) {
        const res = await server.app.inject({ method: method as 'GET', url });
        assert.equal(res.statusCode, 405, `${method} ${url}`);
        const allow = String(res.headers.allow).split(', ');
        assert.deepEqual([...allow].sort(), allowed, `${method} ${url}: Allow ${String(res.headers.allow)}`);
        assert.equal(new Set(allow).size, allow.length, 'each method once');
        if (method !== 'HEAD') assert.equal(res.json<{ code: string }>().code, 'SF_ERR_METHOD_NOT_ALLOWED');
      }
      const nf = await server.app.inject({ method: 'GET', url: '/nope?x=1' });
      assert.equal(nf.statusCode, 404);
      assert.deepEqual(nf.json(), { code: 'SF_ERR_NOT_FOUND', message: 'no route /nope; see /openapi.json' });
    }));

  it('answers 415 {code, message} to a body that is not application/json', () =>
    withServer({}, async ({ server }) => {
      for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {}]) {
        const res = await server.app.inject({ method: 'POST', url: '/queues', headers, payload: JSON.stringify(validCreate) });
        assert.equal(res.statusCode, 415, JSON.stringify(headers));
        const body = res.json<{ code: string; message: string }>();
        assert.equal(body.code, 'SF_ERR_UNSUPPORTED_MEDIA_TYPE');
        assert.match(body.message, /accepted: application\/json/);
      }
      const ok = await server.app.inject({ method: 'POST', url: '/queues', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '{"symbol":' });
      assert.equal(ok.statusCode, 400, 'JSON with a charset is read (and this one is malformed)');
    }));

  it('never puts internal error text in an answer: a generic message with the request id, the details in the log', () => {
    const failing = (store: Store): Store =>
      storeWith(store, {
        listCollections: () => Promise.reject(new Error('SQLITE_CORRUPT: database disk image is malformed at /srv/data/store.sqlite')),
        rangePage: () => Promise.reject(new StoreError('store failed: SQLITE_BUSY: database is locked (arangodb.internal:8529)', { retriable: true })),
      });
    return withServer(
      {},
      async ({ server, logs }) => {
        const crash = await server.app.inject({ method: 'GET', url: '/records?symbol=BTCUSDT&type=api_trades&from=2024-08-01&to=2024-08-02' });
        assert.equal(crash.statusCode, 500);
        const id = String(crash.headers['x-request-id']);
        assert.deepEqual(crash.json(), { code: 'SF_ERR_INTERNAL', message: `internal error (request id ${id})` });
        assert.doesNotMatch(crash.body, /SQLITE|srv|at /);
        const line = logs.find((l) => l['reqId'] === id);
        assert.match(JSON.stringify(line), /SQLITE_CORRUPT/, 'the details are in the log under the request id');

        const busy = await server.app.inject({ method: 'GET', url: '/queues' });
        assert.equal(busy.statusCode, 503);
        const body = busy.json<{ code: string; message: string }>();
        assert.equal(body.code, 'SF_ERR_STORE');
        assert.match(body.message, /^the store is unavailable; retry shortly \(request id [0-9a-f-]{36}\)$/);
        assert.doesNotMatch(busy.body, /SQLITE|arangodb/);
      },
      { wrapStore: failing },
    );
  });
});

describe('HTTP server: who may call', () => {
  it('wants the bearer token on the data and control API, with WWW-Authenticate on 401; the scheme in any case', () =>
    withServer({ STREAMFORGE_API_TOKEN: TOKEN }, async ({ server }) => {
      const get = (authorization?: string) => server.app.inject({ method: 'GET', url: '/queues', headers: authorization === undefined ? {} : { authorization } });
      for (const bad of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, 'Bearer', `Bearer  `]) {
        const res = await get(bad);
        assert.equal(res.statusCode, 401, String(bad));
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="streamforge"');
        assert.equal(res.json<{ code: string }>().code, 'SF_ERR_UNAUTHORIZED');
      }
      for (const good of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER ${TOKEN}`, `bEaReR   ${TOKEN}`]) assert.equal((await get(good)).statusCode, 200, good);
      // Probes and metrics need none by default.
      assert.equal((await server.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
      assert.equal((await server.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    }));

  it('puts /metrics behind the token with METRICS_REQUIRE_TOKEN=true', () =>
    withServer({ STREAMFORGE_API_TOKEN: TOKEN, METRICS_REQUIRE_TOKEN: 'true' }, async ({ server }) => {
      assert.equal((await server.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      const ok = await server.app.inject({ method: 'GET', url: '/metrics', headers: auth });
      assert.equal(ok.statusCode, 200);
      assert.match(ok.body, /streamforge_http_requests_total/);
    }));

  it('refuses a foreign Origin and a Host that is no name of this server with 403; probes answer any Host', () =>
    withServer({ HTTP_ALLOWED_HOSTS: 'streamforge.internal, api.example.com' }, async ({ server }) => {
      const get = (headers: Record<string, string>, url = '/queues') => server.app.inject({ method: 'GET', url, headers });
      for (const host of ['localhost:8080', '127.0.0.1', '127.0.0.1:9000', '[::1]:8080', 'streamforge.internal', 'API.example.com:443']) {
        assert.equal((await get({ host })).statusCode, 200, host);
      }
      for (const host of ['evil.example', 'evil.example:8080', '10.0.0.5', 'localhost.evil.example']) {
        const res = await get({ host });
        assert.equal(res.statusCode, 403, host);
        assert.equal(res.json<{ code: string }>().code, 'SF_ERR_FORBIDDEN');
        assert.match(res.json<{ message: string }>().message, /HTTP_ALLOWED_HOSTS/);
      }
      for (const origin of ['http://evil.example', 'null', 'https://127.0.0.1.evil.example', 'file:///etc/passwd']) {
        const res = await server.app.inject({ method: 'POST', url: '/queues', headers: { ...json, host: 'localhost:8080', origin }, payload: validCreate });
        assert.equal(res.statusCode, 403, origin);
      }
      assert.equal((await get({ host: 'localhost:8080', origin: 'http://localhost:8080' })).statusCode, 200);
      assert.equal((await get({ host: 'evil.example' }, '/health/ready')).statusCode, 503, 'a probe answers (not listening yet: 503), never 403');
    }));

  it('serves stage roles health and metrics only: no data, no control, no API description', () =>
    withServer(
      {},
      async ({ server }) => {
        for (const [method, url] of [['GET', '/queues'], ['POST', '/queues'], ['GET', '/records?symbol=BTCUSDT&type=api_trades&from=2024-08-01&to=2024-08-02'], ['GET', '/candles'], ['GET', '/gaps'], ['GET', '/openapi.json']] as const) {
          const res = await server.app.inject({ method, url, headers: json, ...(method === 'POST' ? { payload: validCreate } : {}) });
          assert.equal(res.statusCode, 404, `${method} ${url}`);
        }
        assert.equal((await server.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
        assert.equal((await server.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
      },
      { routes: PROBE_ROUTES },
    ));
});

describe('HTTP server: limits on workflow creation', () => {
  it('rate-limits creations per client with a token bucket: 429 with Retry-After, refilled over time; bad bodies cost nothing', () => {
    let now = 1_000_000;
    return withServer(
      { API_RATE_LIMIT_PER_MINUTE: '2' },
      async ({ server }) => {
        const post = (url: string, payload: unknown) => server.app.inject({ method: 'POST', url, headers: json, payload: JSON.stringify(payload) });
        for (let i = 0; i < 5; i++) assert.equal((await post('/queues', { symbol: 'BTCUSDT' })).statusCode, 400);
        // This runtime hosts no manager: a creation past the limiter answers 404 (no manager here), which is enough to see it passed.
        assert.equal((await post('/queues', validCreate)).statusCode, 404);
        assert.equal((await post('/queues/start-pipeline', { symbol: 'BTCUSDT', time_range: '2024-08-01:2024-08-02', microservices: [{ target: 'loader-producer', type: 'api_candles_1h' }] })).statusCode, 404);
        const limited = await post('/queues', validCreate);
        assert.equal(limited.statusCode, 429);
        assert.equal(limited.headers['retry-after'], '30');
        assert.equal(limited.json<{ code: string }>().code, 'SF_ERR_RATE_LIMITED');
        assert.match(limited.json<{ message: string }>().message, /API_RATE_LIMIT_PER_MINUTE/);
        now += 29_000;
        assert.equal((await post('/queues', validCreate)).statusCode, 429);
        now += 1_000;
        assert.equal((await post('/queues', validCreate)).statusCode, 404, 'a token is back after 30 s');
      },
      { now: () => now },
    );
  });

  it('refuses a creation beyond MAX_ACTIVE_WORKFLOWS active workflows with 409, counting only workflows not ended', () =>
    withServer({ MAX_ACTIVE_WORKFLOWS: '2' }, async ({ server, store }) => {
      await seedQueues(store, [workflow('wf-a', 1, 'running'), workflow('wf-b', 2, 'completed'), workflow('wf-c', 3, 'failed')]);
      const post = () => server.app.inject({ method: 'POST', url: '/queues', headers: json, payload: validCreate });
      assert.equal((await post()).statusCode, 404, 'one active: the creation reaches the manager (none here)');
      await seedQueues(store, [workflow('wf-d', 4, 'pending')]);
      const full = await post();
      assert.equal(full.statusCode, 409);
      assert.equal(full.json<{ code: string }>().code, 'SF_ERR_TOO_MANY_WORKFLOWS');
      assert.match(full.json<{ message: string }>().message, /2 workflows are active, as many as MAX_ACTIVE_WORKFLOWS \(2\) allows/);
    }));
});

describe('HTTP server: paging and symbols', () => {
  it('pages GET /queues newest first with next/after; /queues/list keeps the whole-list shape', () =>
    withServer({}, async ({ server, store }) => {
      const all = Array.from({ length: 7 }, (_, i) => workflow(`wf-${String.fromCharCode(97 + i)}`, 1000 + (i % 3), i % 2 === 0 ? 'running' : 'completed'));
      await seedQueues(store, all);
      const newestFirst = [...all].sort((a, b) => b.created_at - a.created_at || (a.queue_id < b.queue_id ? 1 : -1)).map((w) => w.queue_id);
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const res = await server.app.inject({ method: 'GET', url: `/queues?limit=3${after ? `&after=${after}` : ''}` });
        assert.equal(res.statusCode, 200, res.body);
        const page = res.json<{ queues: Workflow[]; next?: string }>();
        assert.ok(page.queues.length <= 3);
        seen.push(...page.queues.map((w) => w.queue_id));
        after = page.next;
        pages++;
      } while (after !== undefined && pages < 10);
      assert.deepEqual(seen, newestFirst);
      const legacy = await server.app.inject({ method: 'GET', url: '/queues/list' });
      assert.deepEqual(Object.keys(legacy.json<object>()), ['queues']);
      assert.deepEqual(legacy.json<{ queues: Workflow[] }>().queues.map((w) => w.queue_id), newestFirst);
      for (const bad of ['limit=0', 'limit=1001', 'after=%21%21', `after=${Buffer.from('[1,2,3]').toString('base64url')}`]) {
        const res = await server.app.inject({ method: 'GET', url: `/queues?${bad}` });
        assert.equal(res.statusCode, 400, bad);
      }
    }));

  it('holds every entry point to one symbol rule: BTC.USDT is refused by bodies and queries alike', () =>
    withServer({}, async ({ server }) => {
      for (const symbol of ['BTC.USDT', 'BTC-USDT', 'BTC_USDT', '1INCH..', '']) {
        const body = await server.app.inject({ method: 'POST', url: '/queues', headers: json, payload: { ...validCreate, symbol } });
        assert.equal(body.statusCode, 400, symbol);
        assert.match(body.json<{ message: string }>().message, /symbol/);
        const pipeline = await server.app.inject({ method: 'POST', url: '/queues/start-pipeline', headers: json, payload: { symbol, time_range: '2024-08-01:2024-08-02', microservices: [{ target: 'loader-producer', type: 'api_trades' }] } });
        assert.equal(pipeline.statusCode, 400, symbol);
        for (const url of ['/records?type=api_trades', '/candles?interval=1m', '/gaps?type=api_trades']) {
          const res = await server.app.inject({ method: 'GET', url: `${url}&symbol=${encodeURIComponent(symbol)}&from=2024-08-01&to=2024-08-02` });
          assert.equal(res.statusCode, 400, `${url} ${symbol}`);
          assert.match(res.json<{ message: string }>().message, /symbol/);
        }
        assert.throws(() => candlesCommand.parse([symbol, '--interval', '1m', '--from', '2024-08-01', '--to', '2024-08-02']), (err: unknown) => err instanceof UsageError && /symbol/.test(err.message), `CLI ${symbol}`);
        const stage = loadConfig({}, { QUEUE_ID: 'wf-x-api_trades-20240801-abcdef', SYMBOL: symbol || ' ', TYPE: 'api_trades', TIME_RANGE: '2024-08-01:2024-08-02', KAFKA_TOPIC: 't', COLLECTION_NAME: 'c' });
        assert.throws(() => stageCommandFromConfig(stage, 'connector', 0), (err: unknown) => err instanceof ConfigError && /SYMBOL/.test(err.message), `stage ${symbol}`);
      }
    }));
});

describe('HTTP logging', () => {
  it('redacts credentials in logged headers whatever their capitalisation', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const log = pino({ level: 'info' }, sink).child({ component: 'http' }, { redact: HTTP_LOG_REDACTION });
    log.info({ req: { headers: { AuThOrIzAtIoN: 'Bearer s3cret-1', 'x-request-id': 'r1' } } }, 'one');
    log.info({ headers: { AUTHORIZATION: 'Bearer s3cret-2', Cookie: 'session=s3cret-3' } }, 'two');
    log.info({ err: { headers: { authorization: 'Bearer s3cret-4' } } }, 'three');
    log.info({ config: { STREAMFORGE_API_TOKEN: 's3cret-5', ARANGO_PASSWORD: 's3cret-6' } }, 'the root logger\'s secrets too');
    assert.doesNotMatch(out, /s3cret/);
    assert.match(out, /"x-request-id":"r1"/);
    assert.equal(out.match(/\[redacted\]/g)?.length, 6);
  });
});
