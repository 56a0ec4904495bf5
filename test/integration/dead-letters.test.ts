// `GET /queues/{queue_id}/dead-letters` over a real socket, read from the embedded bus's dead-letter
// topic as the connector writes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { WorkflowRegistry } from '../../src/actors/index.ts';
import { DeadLettersBody, ErrorCodes, newShortId } from '../../src/protocol/index.ts';
import type { DeadLetter, Workflow } from '../../src/protocol/index.ts';
import { startHttpTestServer } from '../helpers/http-test-server.ts';
import type { HttpTestServer } from '../helpers/http-test-server.ts';

function workflow(queueId: string, extra: Partial<Workflow> = {}): Workflow {
  return {
    queue_id: queueId,
    symbol: 'BTCUSDT',
    type: 'api_candles_1h',
    time_range: '2024-08-01:2024-08-02',
    from_ms: Date.parse('2024-08-01'),
    to_ms: Date.parse('2024-08-02'),
    status: 'completed',
    kafka_topic: `${queueId}-data`,
    collection_name: 'btcusdt_api_candles_1h_2024_08_01',
    created_at: 1,
    updated_at: 1,
    stages: {},
    ...extra,
  };
}

/** A dead letter as the connector writes one: the record, where it was, and why it was refused. */
function deadLetter(queueId: string, offset: number): DeadLetter {
  return {
    queue_id: queueId,
    source_topic: `${queueId}-data`,
    partition: 0,
    offset: String(offset),
    key: 'BTCUSDT',
    value: `{"open_time":"not a number ${offset}"}`,
    error: { code: ErrorCodes.PROTOCOL, message: `record failed its schema: open_time: expected number (${offset})`, retriable: false },
    timestamp: 1_722_470_400 + offset,
  };
}

describe('GET /queues/{queue_id}/dead-letters', () => {
  let t: HttpTestServer;
  let base: string;
  const newQueueId = () => `wf-btcusdt-api_candles_1h-20240801-${newShortId()}`;
  const queueId = newQueueId();
  const goneId = newQueueId();
  const cleanId = newQueueId();
  const letters = [3, 8, 21].map((offset) => deadLetter(queueId, offset));

  before(async () => {
    t = await startHttpTestServer();
    const registry = new WorkflowRegistry(t.store);
    await registry.init();
    await registry.save(workflow(queueId));
    await registry.save(workflow(goneId, { topics_deleted_at: 5 }));
    await registry.save(workflow(cleanId));
    const topic = `${queueId}-data-dlq`;
    await t.runtime.bus.ensureTopics([{ name: topic }]);
    await t.runtime.bus.produce(topic, letters.slice(0, 2).map((d) => ({ key: d.queue_id, value: JSON.stringify(d) })));
    // Something else on the topic: skipped, not answered.
    await t.runtime.bus.produce(topic, [{ key: null, value: 'not json' }]);
    await t.runtime.bus.produce(topic, letters.slice(2).map((d) => ({ key: d.queue_id, value: JSON.stringify(d) })));
    base = `http://127.0.0.1:${await t.server.listen(0, '127.0.0.1')}`;
  });
  after(async () => {
    await t?.close();
  });

  const get = async (path: string) => {
    const res = await request(`${base}${path}`);
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  it('answers the dead letters oldest first, with their errors, and says when there are more than the limit', async () => {
    const all = await get(`/queues/${queueId}/dead-letters`);
    assert.equal(all.status, 200);
    assert.deepEqual(DeadLettersBody.parse(all.body), { queue_id: queueId, topic: `${queueId}-data-dlq`, dead_letters: letters, more: false, topic_deleted: false });
    assert.ok(t.logs.some((l) => l['msg'] === 'not a dead letter: skipped'), 'the foreign message is logged');

    const two = DeadLettersBody.parse((await get(`/queues/${queueId}/dead-letters?limit=2`)).body);
    assert.deepEqual(two.dead_letters, letters.slice(0, 2));
    assert.equal(two.more, true);
    const three = DeadLettersBody.parse((await get(`/queues/${queueId}/dead-letters?limit=3`)).body);
    assert.deepEqual(three.dead_letters, letters);
    assert.equal(three.more, false);
  });

  it('reads again from the beginning each time: a read moves no offsets', async () => {
    const again = DeadLettersBody.parse((await get(`/queues/${queueId}/dead-letters`)).body);
    assert.deepEqual(again.dead_letters, letters);
  });

  it('answers none for a workflow without dead letters, and says when its topics were deleted', async () => {
    const clean = await get(`/queues/${cleanId}/dead-letters`);
    assert.equal(clean.status, 200, JSON.stringify(clean.body));
    assert.deepEqual(DeadLettersBody.parse(clean.body).dead_letters, []);
    const gone = DeadLettersBody.parse((await get(`/queues/${goneId}/dead-letters`)).body);
    assert.equal(gone.topic_deleted, true);
    assert.deepEqual(gone.dead_letters, []);
  });

  it('refuses a bad limit naming what is accepted, and an unknown workflow with 404', async () => {
    for (const limit of ['0', '1001', 'all', '2.5']) {
      const res = await get(`/queues/${queueId}/dead-letters?limit=${limit}`);
      assert.equal(res.status, 400, limit);
      assert.match(String(res.body['message']), /limit.*whole number from 1 to 1000/, limit);
    }
    const unknown = await get('/queues/wf-nosuch-api_candles_1h-20240801-000000/dead-letters');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body['message']), /no workflow with queue_id wf-nosuch/);
  });
});
