import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Targets } from '../../src/protocol/index.ts';
import type { Candle, TelemetryEvent, Workflow } from '../../src/protocol/index.ts';
import { ConnectorPool, WorkflowRegistry } from '../../src/actors/index.ts';
import type { StageDeps, Subscription } from '../../src/actors/index.ts';
import { LocalActorHost } from '../../src/system/actor-system/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { PromMetrics } from '../../src/system/observability/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { recordTelemetry } from '../helpers/telemetry-recorder.ts';
import { SERIES_WORKFLOW_FROM_MS, seriesWorkflow } from '../helpers/series-workflow.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { defaultPolicies, noWebSockets, testStageSettings } from '../helpers/stage-settings.ts';

const from = SERIES_WORKFLOW_FROM_MS;

function runningWorkflow(symbol: string, now: number): Workflow {
  return seriesWorkflow(symbol, { status: 'running', updated_at: now }, 'running');
}

function candle(symbol: string, i: number): Candle {
  const openTime = from + i * 60_000;
  return {
    open_time: openTime,
    open: '1.5',
    high: '2.5',
    low: '1.0',
    close: '2.0',
    volume: '10.00000001',
    close_time: openTime + 59_999,
    quote_asset_volume: '20.0',
    number_of_trades: 3,
    taker_buy_base_asset_volume: '5.0',
    taker_buy_quote_asset_volume: '10.0',
    symbol,
    interval: '1m',
  };
}

describe('connector pool member telemetry', { timeout: 60_000 }, () => {
  const bus = new EmbeddedBus({ dataDir: ':memory:', pollIntervalMs: 10 });
  const store = new EmbeddedStore(':memory:');
  const log = pino({ level: 'silent' });
  const metrics = new PromMetrics({ defaults: false });
  // The pool reads the registry when it starts; its poll timer never needs to fire here.
  const clock = new FakeClock(Date.now());
  const host = new LocalActorHost({ logger: log, metrics, clock, supervision: defaultPolicies.actorRestart });
  const events: TelemetryEvent[] = [];
  let recorder: Subscription | undefined;
  const deps: StageDeps = {
    bus,
    store,
    clock,
    http: new UndiciHttpClient(),
    ws: noWebSockets('connector pool'),
    metrics,
    log,
    settings: testStageSettings(),
  };
  before(async () => {
    await bus.ensureTopics([{ name: 'queue-control' }, { name: 'queue-events' }]);
    recorder = await recordTelemetry(bus, 'queue-events', events);
  });
  after(async () => {
    await recorder?.close();
    await host.shutdown();
    await bus.close();
    await store.close();
  });

  it('speaks for a workflow only once it got that workflow\'s data: `started` on the first batch, pongs only then', async () => {
    const registry = new WorkflowRegistry(store);
    await registry.init();
    const fed = runningWorkflow('BTCUSDT', Date.now());
    const idle = runningWorkflow('ETHUSDT', Date.now());
    for (const wf of [fed, idle]) await registry.save(wf);
    host.spawn({ name: 'pool', actorType: 'connector-pool', create: (ctx) => new ConnectorPool(deps, { instanceId: 'unit', pollMs: 50 }, ctx) });
    const connectorEvents = (wf: Workflow, status: string) =>
      events.filter((e) => e.queue_id === wf.queue_id && e.producer.startsWith(Targets.connector) && e.status === status);
    const ping = (wf: Workflow, id: string) =>
      bus.produce('queue-control', [{ key: wf.queue_id, value: JSON.stringify({ command: 'ping', queue_id: wf.queue_id, sent_at: Date.now() / 1000, ping_id: id }) }]);

    // The member serves both (it writes whatever partitions the bus gives it) but has data for neither yet.
    await waitFor('the pool to open the data topics', async () => ((await store.listCollections()).includes(idle.collection_name) ? true : undefined), 10_000);
    // Written after this member opened the workflow (by another member, say): `started` must count it.
    const early = candle(fed.symbol, 2);
    await store.upsert(fed.collection_name, [{ _key: `${fed.symbol}_1m_${early.open_time}`, ...early }]);
    await bus.produce(fed.kafka_topic, [0, 1, 2].map((i) => ({ key: fed.symbol, value: JSON.stringify(candle(fed.symbol, i)) })));
    await waitFor('the fed workflow\'s records', async () => ((await store.count(fed.collection_name)) === 3 ? true : undefined), 10_000);

    await ping(idle, 'idle-1');
    await ping(fed, 'fed-1');
    await waitFor('the pong for the fed workflow', () => (connectorEvents(fed, 'pong').length > 0 ? true : undefined), 10_000);
    // The control topic is read in order per member: once a later ping is answered, the idle one was handled.
    await ping(fed, 'fed-2');
    await waitFor('the second pong', () => (connectorEvents(fed, 'pong').length > 1 ? true : undefined), 10_000);

    assert.equal(connectorEvents(fed, 'started').length, 1, 'one `started` for the workflow whose data came');
    assert.deepEqual(connectorEvents(idle, 'started'), [], 'no `started` for a workflow whose data never came to this member');
    assert.deepEqual(connectorEvents(idle, 'pong'), [], 'no pong for a workflow this member holds no data of');
    const started = events.findIndex((e) => e.queue_id === fed.queue_id && e.status === 'started');
    const firstLoading = events.findIndex((e) => e.queue_id === fed.queue_id && e.status === 'loading');
    assert.ok(started >= 0 && started < firstLoading, '`started` comes before the first progress report');
    assert.equal(connectorEvents(fed, 'started')[0]?.records_written, 1, '`started` counts what was stored when the first batch came, not at open');
  });
});
