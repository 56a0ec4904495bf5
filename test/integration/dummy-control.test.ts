import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { TelemetryEvent } from '../../src/protocol/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { startCli } from '../helpers/cli-process.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeDataDir, startTestRuntime } from '../helpers/test-runtime.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { failTestOnError } from '../helpers/fail-test-on-error.ts';

/** Telemetry on queue-events for one queue id, read from the beginning with a fresh group until the last one has `lastStatus`. */
async function eventsOf(dataDir: string, queueId: string, lastStatus: TelemetryEvent['status']): Promise<TelemetryEvent[]> {
  const bus = new EmbeddedBus({ dataDir });
  const seen: TelemetryEvent[] = [];
  try {
    await bus.ensureTopics([{ name: 'queue-events' }]);
    const sub = await bus.subscribe({
      groupId: `reader-${Math.random()}`,
      topics: ['queue-events'],
      fromBeginning: true,
      handler: (batch) => {
        for (const m of batch) {
          const e = TelemetryEvent.safeParse(JSON.parse(m.value));
          if (e.success && e.data.queue_id === queueId) seen.push(e.data);
        }
        return Promise.resolve();
      },
      onError: failTestOnError('the telemetry reader'),
    });
    await waitFor(`a ${lastStatus} event`, () => (seen.at(-1)?.status === lastStatus ? true : undefined), 10_000);
    await sub.close();
  } finally {
    await bus.close();
  }
  return seen;
}

describe('dummy role, ping and stop over the embedded bus', () => {
  let dataDir: string;
  let env: Record<string, string>;
  before(async () => {
    dataDir = await makeDataDir();
    env = { STREAMFORGE_DATA_DIR: dataDir, PORT: '0' };
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers pings with pongs and their round-trip time, and stops on stop', async () => {
    const dummy = startCli(['serve', '--role', 'dummy', '--queue-id', 'wf-dummy-aaaaaa', '--simulate-loading', '--tick-ms', '100', '--ticks', '100000'], env);
    try {
      await waitFor('the dummy to start', () => (dummy.stderr().includes('dummy-service for wf-dummy-aaaaaa') ? true : undefined), 20_000);
      const ping = await runCli(['ping', '--queue-id', 'wf-dummy-aaaaaa', '--expect-pong', '--repeat', '3'], env);
      assert.equal(ping.code, 0, ping.stderr);
      const lines = ping.stdout.trim().split('\n');
      assert.equal(lines.length, 3);
      for (const line of lines) assert.match(line, /^pong from dummy-service__[0-9a-f]{6} for wf-dummy-aaaaaa: rtt=\d+\.\d ms$/);

      const stop = await runCli(['stop', '--queue-id', 'wf-dummy-aaaaaa'], env);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(await dummy.exited, 0);
      const statuses = (await eventsOf(dataDir, 'wf-dummy-aaaaaa', 'interrupted')).map((e) => e.status);
      assert.equal(statuses[0], 'started');
      assert.ok(statuses.includes('loading'));
      assert.equal(statuses.filter((s) => s === 'pong').length, 3);
      assert.equal(statuses.at(-1), 'interrupted');
    } finally {
      await dummy.kill();
    }
  });

  it('reports an error and exits 1 with --fail-after', async () => {
    const dummy = startCli(['serve', '--role', 'dummy', '--queue-id', 'wf-dummy-bbbbbb', '--simulate-loading', '--tick-ms', '50', '--fail-after', '3'], env);
    try {
      assert.equal(await dummy.exited, 1);
      const events = await eventsOf(dataDir, 'wf-dummy-bbbbbb', 'error');
      assert.deepEqual(events.map((e) => e.status), ['started', 'loading', 'loading', 'loading', 'error']);
      assert.match(events.at(-1)?.error?.message ?? '', /simulated failure after 3 ticks/);
    } finally {
      await dummy.kill();
    }
  });

  it('says when nobody answers a ping', async () => {
    const ping = await runCli(['ping', '--queue-id', 'wf-nobody-000000', '--expect-pong', '--timeout-ms', '500'], env);
    assert.equal(ping.code, 1);
    assert.match(ping.stdout, /no pong for wf-nobody-000000 within 500 ms/);
  });
});

describe('stop sent on the bus (not through the manager)', () => {
  it('ends the workflow as stopped: every stage reports interrupted and the supervisor follows', async () => {
    const sim = await startExchangeSimulator({ latencyMs: 30 });
    const rt = await startTestRuntime(sim.url);
    try {
      const from = Date.parse('2020-01-01T00:00:00Z');
      const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: from + 400 * 86_400_000 } });
      await waitFor('the workflow to run', async () => ((await rt.registry.get(wf.queue_id))?.status === 'running' ? true : undefined));
      const stop = await runCli(['stop', '--queue-id', wf.queue_id], { STREAMFORGE_DATA_DIR: rt.dataDir });
      assert.equal(stop.code, 0, stop.stderr);
      const done = await rt.settle(wf.queue_id);
      assert.equal(done.status, 'stopped');
      assert.equal(done.stages['loader-producer']?.status, 'stopped');
      assert.equal(done.stages['arango-connector']?.status, 'stopped');
    } finally {
      await rt.close();
      await sim.close();
    }
  });
});
