import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { AdminServer } from '../../src/system/http/index.ts';
import type { TelemetryEvent, Workflow } from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { openSse } from '../helpers/sse-reader.ts';
import type { SseEvent, SseReader } from '../helpers/sse-reader.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import type { TestRuntime } from '../helpers/test-runtime.ts';

const TOKEN = 'sse-token';
const auth = { authorization: `Bearer ${TOKEN}` };

function seqOf(e: SseEvent): number {
  return Number(e.id?.split('-')[1]);
}

describe('GET /events (Server-Sent Events from queue-events and the registry)', () => {
  let sim: ExchangeSimulator;
  let rt: TestRuntime;
  let server: AdminServer;
  let base: string;
  const streams: SseReader[] = [];

  async function open(path: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = await openSse(`${base}${path}`, headers);
    streams.push(reader);
    return reader;
  }

  async function create(symbol: string, range = '2024-08-01:2024-08-03'): Promise<string> {
    const res = await request(`${base}/queues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ symbol, type: 'api_candles_1h', time_range: range }),
    });
    const body = (await res.body.json()) as { queue_id: string };
    assert.equal(res.statusCode, 201);
    return body.queue_id;
  }

  before(async () => {
    sim = await startExchangeSimulator({ latencyMs: 1 });
    rt = await startTestRuntime(sim.url, { env: { STREAMFORGE_API_TOKEN: TOKEN, EVENTS_REPLAY_SIZE: '50' } });
    server = new AdminServer(rt.runtime);
    const port = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    for (const s of streams) s.close();
    await server?.close();
    await rt?.close();
    await sim?.close();
  });

  it('streams a workflow from running to completed, with its stages\' telemetry, ids increasing', async () => {
    const stream = await open('/events', auth);
    assert.equal(stream.status, 200);
    assert.match(stream.contentType, /^text\/event-stream/);
    await stream.next('ready', (e) => e.event === 'ready');
    const queueId = await create('BTCUSDT');
    const done = await stream.next('the workflow completed', (e) => e.event === 'workflow' && (JSON.parse(e.data) as Workflow).status === 'completed' && (JSON.parse(e.data) as Workflow).queue_id === queueId);
    const wf = JSON.parse(done.data) as Workflow;
    assert.equal(wf.stages['loader-producer']?.status, 'finished');
    assert.equal(wf.stages['loader-producer']?.records, 48);
    const mine = stream.events.filter((e) => e.event !== 'ready' && (JSON.parse(e.data) as { queue_id: string }).queue_id === queueId);
    const statuses = mine.filter((e) => e.event === 'workflow').map((e) => (JSON.parse(e.data) as Workflow).status);
    assert.equal(statuses[0], 'pending');
    assert.ok(statuses.includes('running'), `workflow statuses seen: ${statuses.join(',')}`);
    const telemetry = mine.filter((e) => e.event === 'telemetry').map((e) => JSON.parse(e.data) as TelemetryEvent);
    assert.ok(telemetry.some((t) => t.status === 'finished' && t.producer.startsWith('loader-producer')), 'the loader\'s finished event');
    const seqs = stream.events.filter((e) => e.id !== undefined && e.event !== 'ready').map(seqOf);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);
  });

  it('resumes after Last-Event-ID with exactly what followed it, and only one workflow\'s events when asked', async () => {
    const first = await open('/events', auth);
    await first.next('ready', (e) => e.event === 'ready');
    const queueId = await create('ETHUSDT');
    await first.next('ETHUSDT completed', (e) => e.event === 'workflow' && (JSON.parse(e.data) as Workflow).queue_id === queueId && (JSON.parse(e.data) as Workflow).status === 'completed');
    const seen = first.events.filter((e) => e.event === 'workflow' || e.event === 'telemetry');
    assert.ok(seen.length >= 4, `${seen.length} events`);
    const cut = seen[1];
    assert.ok(cut?.id);
    first.close();

    const resumed = await open('/events', { ...auth, 'last-event-id': cut.id });
    const ready = await resumed.next('ready', (e) => e.event === 'ready');
    const replayed = resumed.events.slice(0, resumed.events.indexOf(ready));
    assert.deepEqual(
      replayed.map((e) => e.id),
      seen.slice(2).map((e) => e.id),
    );
    assert.deepEqual(replayed.map((e) => e.data), seen.slice(2).map((e) => e.data));

    const completed = (id: string) => (e: SseEvent) => e.event === 'workflow' && (JSON.parse(e.data) as Workflow).queue_id === id && (JSON.parse(e.data) as Workflow).status === 'completed';
    const other = await create('PEPEUSDT');
    const filtered = await open(`/events?queue_id=${other}`, auth);
    await filtered.next('ready', (e) => e.event === 'ready');
    const bnb = await create('BTCUSDT', '2024-09-01:2024-09-02');
    await resumed.next('the second BTCUSDT completed', completed(bnb));
    await filtered.next('PEPEUSDT completed', completed(other));
    assert.ok(resumed.events.some((e) => e.event === 'telemetry' && (JSON.parse(e.data) as TelemetryEvent).queue_id === bnb), 'the unfiltered stream has the other workflow');
    const foreign = filtered.events.filter((e) => e.event !== 'ready' && (JSON.parse(e.data) as { queue_id: string }).queue_id !== other);
    assert.deepEqual(foreign, []);
  });

  it('says reset when the events after Last-Event-ID are gone or from another run', async () => {
    const stale = await open('/events', { ...auth, 'last-event-id': '00000000-3' });
    const reset = await stale.next('reset', (e) => e.event === 'reset');
    assert.match((JSON.parse(reset.data) as { reason: string }).reason, /not from this server's current run/);
    assert.equal(stale.events[1]?.event, 'ready');

    // EVENTS_REPLAY_SIZE is 50: the workflows above sent more, so the first ones are gone.
    const firstId = `${(await open('/events', auth).then((s) => s.next('ready', (e) => e.event === 'ready'))).id?.split('-')[0]}-1`;
    const evicted = await open('/events', { ...auth, 'last-event-id': firstId });
    const gone = await evicted.next('reset', (e) => e.event === 'reset');
    assert.match((JSON.parse(gone.data) as { reason: string }).reason, /no longer kept \(EVENTS_REPLAY_SIZE 50\)/);
  });

  it('needs the token and refuses foreign origins', async () => {
    const anonymous = await request(`${base}/events`);
    assert.equal(anonymous.statusCode, 401);
    assert.match(await anonymous.body.text(), /bearer token/);
    const foreign = await request(`${base}/events`, { headers: { ...auth, origin: 'http://evil.example' } });
    assert.equal(foreign.statusCode, 403);
    await foreign.body.dump();
    const doc = await request(`${base}/openapi.json`);
    const paths = ((await doc.body.json()) as { paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }> }).paths;
    assert.ok(paths['/events']?.get?.responses['200']?.content?.['text/event-stream'], 'the OpenAPI document describes the stream');
  });
});
