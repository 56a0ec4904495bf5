import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { AdminServer } from '../../src/system/http/index.ts';
import { TERMINAL_STATUSES } from '../../src/protocol/index.ts';
import { startExchangeSimulator, expectedAggTrades, expectedKlines } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';

interface Answer {
  status: number;
  body: unknown;
  text: string;
  type: string;
}

describe('the manager HTTP API', () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;
  let server: AdminServer;
  let base: string;
  const auth = { authorization: 'Bearer secret-token' };

  async function call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await request(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.body.text();
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: parsed, text, type: String(res.headers['content-type']) };
  }

  async function settled(queueId: string): Promise<Record<string, unknown>> {
    return waitFor(`${queueId} to end`, async () => {
      const r = await call('GET', `/queues/${queueId}`, undefined, auth);
      const wf = r.body as { status: string };
      return TERMINAL_STATUSES.has(wf.status as 'completed') ? (r.body as Record<string, unknown>) : undefined;
    }, 120_000);
  }

  before(async () => {
    sim = await startExchangeSimulator({ latencyMs: 1 });
    rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_API_TOKEN: 'secret-token' } });
    server = new AdminServer(rt.runtime);
    const port = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await server?.close();
    await rt?.close();
    await sim?.close();
  });

  it('creates a workflow, follows it to completed and serves its candles', async () => {
    const created = await call('POST', '/queues', { symbol: 'BTCUSDT', type: 'api_candles_1h', time_range: '2024-08-01:2024-08-03' }, auth);
    assert.equal(created.status, 201, created.text);
    const body = created.body as { status: string; queue_id: string; ids: Record<string, string> };
    assert.equal(body.status, 'ok');
    assert.match(body.queue_id, /^wf-btcusdt-api_candles_1h-20240801-[0-9a-f]{6}$/);
    assert.match(body.ids['loader-producer'] ?? '', /^loader-producer__[0-9a-f]{6}$/);
    const wf = await settled(body.queue_id);
    assert.equal(wf.status, 'completed');

    const csv = await call('GET', '/candles?symbol=BTCUSDT&interval=1h&from=2024-08-01&to=2024-08-03&format=csv', undefined, auth);
    assert.equal(csv.status, 200);
    assert.match(csv.type, /text\/csv/);
    const expected = expectedKlines('BTCUSDT', '1h', Date.parse('2024-08-01T00:00:00Z'), Date.parse('2024-08-03T00:00:00Z'));
    assert.deepEqual(csv.text.trimEnd().split('\n').slice(1), expected.map((k) => k.slice(0, 11).join(',')));

    const json = await call('GET', '/candles?symbol=BTCUSDT&interval=1h&from=2024-08-02T00:00:00Z&to=2024-08-02T02:00:00Z', undefined, auth);
    assert.equal((json.body as { count: number }).count, 2);

    const list = await call('GET', '/queues', undefined, auth);
    const legacy = await call('GET', '/queues/list', undefined, auth);
    assert.ok((list.body as { queues: Array<{ queue_id: string }> }).queues.some((q) => q.queue_id === body.queue_id));
    assert.deepEqual(list.body, legacy.body);
  });

  it('runs the new types through the API: api_trades and archive_trades served by GET /records, a live stream started without a range and stopped', async () => {
    const day = '2024-08-05';
    const from = Date.parse(`${day}T00:00:00Z`);
    const trades = await call('POST', '/queues', { symbol: 'BTCUSDT', type: 'api_trades', from: `${day}T00:00:00Z`, to: `${day}T00:20:00Z` }, auth);
    assert.equal(trades.status, 201, trades.text);
    const archive = await call('POST', '/queues', { symbol: 'ETHUSDT', type: 'archive_trades', time_range: '2024-08-05:2024-08-06' }, auth);
    assert.equal(archive.status, 201, archive.text);
    for (const created of [trades, archive]) {
      const wf = await settled((created.body as { queue_id: string }).queue_id);
      assert.equal(wf.status, 'completed', JSON.stringify(wf.error));
    }
    const expected = expectedAggTrades('BTCUSDT', from, from + 20 * 60_000);
    const got = await call('GET', `/records?symbol=BTCUSDT&type=ws_aggtrades&from=${day}T00:00:00Z&to=${day}T00:20:00Z`, undefined, auth);
    assert.equal(got.status, 200, got.text);
    const body = got.body as { count: number; records: Array<{ trade_id: number; price: string; quantity: string }> };
    assert.equal(body.count, expected.length);
    assert.deepEqual(body.records.map((r) => [r.trade_id, r.price, r.quantity]), expected.map((t) => [t.a, t.p, t.q]));
    const eth = await call('GET', `/records?symbol=ETHUSDT&type=api_trades&from=${day}&to=2024-08-06&format=csv`, undefined, auth);
    assert.equal(eth.text.trimEnd().split('\n').length - 1, expectedAggTrades('ETHUSDT', from, from + 86_400_000).length);

    const live = await call('POST', '/queues/start-pipeline', { symbol: 'BTCUSDT', microservices: [{ target: 'loader-producer', type: 'ws_depth' }] }, auth);
    assert.equal(live.status, 201, live.text);
    const liveId = (live.body as { queue_id: string }).queue_id;
    await waitFor('the depth stream to store records', async () => {
      const r = await call('GET', `/queues/${liveId}`, undefined, auth);
      const wf = r.body as { stages: Record<string, { records: number }> };
      return (wf.stages['arango-connector']?.records ?? 0) > 5 ? true : undefined;
    }, 30_000);
    const stopped = await call('POST', `/queues/${liveId}/stop`, undefined, auth);
    assert.equal(stopped.status, 202);
    assert.equal((await settled(liveId)).status, 'stopped');

    const bad = await call('POST', '/queues/start-pipeline', { symbol: 'BTCUSDT', microservices: [{ target: 'loader-producer', type: 'api_trades' }] }, auth);
    assert.equal(bad.status, 400);
    assert.match((bad.body as { message: string }).message, /time_range is required for api_\* types/);
  });

  it('creates a graph workflow from a graph body: 201 with its universe, symbol MULTI, a wf-multi id; stops it', async () => {
    const created = await call('POST', '/queues', { type: 'gnn_graph', symbols: ['btcusdt', 'ETHUSDT'], interval: '1h', from: '2024-01-01', to: '2024-03-01', window: 48 }, auth);
    assert.equal(created.status, 201, created.text);
    const wf = (created.body as { workflow: { queue_id: string; symbol: string; gnn?: { symbols: string[]; window: number; interval: string } } }).workflow;
    assert.match(wf.queue_id, /^wf-multi-gnn_graph-20240101-[0-9a-f]{6}$/);
    assert.equal(wf.symbol, 'MULTI');
    assert.deepEqual(wf.gnn?.symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.equal(wf.gnn?.window, 48);
    const read = await call('GET', `/queues/${wf.queue_id}`, undefined, auth);
    assert.equal(read.status, 200, read.text);
    const stopped = await call('POST', `/queues/${wf.queue_id}/stop`, undefined, auth);
    assert.equal(stopped.status, 202, stopped.text);
    assert.equal((await settled(wf.queue_id)).status, 'stopped');
  });

  it("accepts the original's start-pipeline body", async () => {
    const created = await call(
      'POST',
      '/queues/start-pipeline',
      {
        symbol: 'ethusdt',
        time_range: '2024-07-01:2024-07-02',
        microservices: [
          { target: 'loader-producer', type: 'api_candles_5m' },
          { target: 'arango-connector', type: 'api_candles_5m' },
        ],
      },
      auth,
    );
    assert.equal(created.status, 201, created.text);
    const body = created.body as { queue_id: string };
    const wf = await settled(body.queue_id);
    assert.equal(wf.status, 'completed');
    assert.equal((wf.stages as Record<string, { records: number }>)['arango-connector']?.records, 288);
  });

  it('stops a running workflow (and the alias works)', async () => {
    const created = await call('POST', '/queues', { symbol: 'BTCUSDT', type: 'api_candles_1s', time_range: '2024-01-01:2024-03-01' }, auth);
    const { queue_id } = created.body as { queue_id: string };
    await waitFor('running', async () => ((await call('GET', `/queues/${queue_id}`, undefined, auth)).body as { status: string }).status === 'running' || undefined);
    const stop = await call('POST', '/queues/stop', { queue_id }, auth);
    assert.equal(stop.status, 202, stop.text);
    const wf = await settled(queue_id);
    assert.equal(wf.status, 'stopped');
    const stages = wf.stages as Record<string, { status: string }>;
    assert.equal(stages['loader-producer']?.status, 'stopped');
    assert.equal(stages['arango-connector']?.status, 'stopped');
    const again = await call('POST', `/queues/${queue_id}/stop`, undefined, auth);
    assert.equal(again.status, 202);
  });

  const bad: Array<[string, string, unknown, RegExp]> = [
    ['missing symbol', '/queues', { type: 'api_candles_1m', time_range: '2024-08-01:2024-08-02' }, /symbol/],
    ['unknown type', '/queues', { symbol: 'BTCUSDT', type: 'api_candles_2m', time_range: '2024-08-01:2024-08-02' }, /unknown type "api_candles_2m"; accepted/],
    ['empty range', '/queues', { symbol: 'BTCUSDT', type: 'api_candles_1m', time_range: '2024-08-02:2024-08-01' }, /start must be before the end/],
    ['bad range text', '/queues', { symbol: 'BTCUSDT', type: 'api_candles_1m', time_range: 'yesterday' }, /accepted: "YYYY-MM-DD:YYYY-MM-DD"/],
    ['not json', '/queues', '{"symbol":', /not valid JSON/],
    ['array body', '/queues', [1, 2], /invalid body/],
    ['unsupported original type', '/queues/start-pipeline', { symbol: 'BTCUSDT', time_range: '2024-08-01:2024-08-02', microservices: [{ target: 'loader-producer', type: 'ws_ticker' }] }, /not supported/],
    ['gnn pipeline without a universe', '/queues/start-pipeline', { symbol: 'BTCUSDT', time_range: '2024-08-01:2024-08-02', microservices: [{ target: 'gnn-trainer', type: 'gnn_train' }] }, /gnn_train pipeline needs symbols/],
    ['stop without id', '/queues/stop', {}, /queue_id/],
  ];
  for (const [name, path, body, message] of bad) {
    it(`answers 400 {code, message} on a bad body: ${name}`, async () => {
      const r = await call('POST', path, body, auth);
      assert.equal(r.status, 400, r.text);
      const err = r.body as { code: string; message: string };
      assert.equal(err.code, 'SF_ERR_VALIDATION');
      assert.match(err.message, message);
    });
  }

  it('answers 400 on bad candle queries, 404 on unknown queues, 401 without the token', async () => {
    const q = await call('GET', '/candles?symbol=BTCUSDT&interval=7m&from=2024-08-01&to=2024-08-02', undefined, auth);
    assert.equal(q.status, 400);
    assert.match((q.body as { message: string }).message, /interval: unknown interval "7m"/);
    const nf = await call('GET', '/queues/wf-nope', undefined, auth);
    assert.equal(nf.status, 404);
    const unauth = await call('GET', '/queues');
    assert.equal(unauth.status, 401);
    const method = await call('POST', '/health/live', {});
    assert.equal(method.status, 405);
  });

  it('serves probes, Prometheus metrics and the OpenAPI document', async () => {
    assert.equal((await call('GET', '/health/live')).status, 200);
    assert.equal((await call('GET', '/health/ready')).status, 200);
    const metrics = await call('GET', '/metrics');
    assert.match(metrics.text, /streamforge_records_written_total\{role="connector"\} \d+/);
    assert.match(metrics.text, /streamforge_exchange_request_duration_seconds_bucket/);
    assert.match(metrics.text, /streamforge_http_requests_total\{route="\/queues",method="POST",status="400"\}/);
    const spec = (await call('GET', '/openapi.json')).body as { openapi: string; paths: Record<string, unknown> };
    assert.equal(spec.openapi, '3.0.3');
    for (const p of ['/queues', '/queues/start-pipeline', '/queues/list', '/queues/stop', '/queues/{queue_id}', '/queues/{queue_id}/stop', '/candles', '/records', '/gaps', '/gaps/repair']) {
      assert.ok(spec.paths[p], `${p} documented`);
    }
  });
});
