import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import type { Bus } from '../../src/actors/index.ts';
import { EmbeddedBus } from '../../src/system/bus/index.ts';
import { AdminServer } from '../../src/system/http/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** The real embedded bus whose first `failures` ensureTopics calls fail, as a broker still starting would. */
function busUnavailableAtFirst(bus: EmbeddedBus, failures: number): Bus {
  let calls = 0;
  return {
    kind: bus.kind,
    ensureTopics: (topics) => (++calls <= failures ? Promise.reject(new Error(`bus not reachable yet (call ${calls})`)) : bus.ensureTopics(topics)),
    produce: (topic, messages) => bus.produce(topic, messages),
    subscribe: (options) => bus.subscribe(options),
    deleteTopics: (topics) => bus.deleteTopics(topics),
    deleteGroups: (groupIds) => bus.deleteGroups(groupIds),
    lag: () => bus.lag(),
    close: () => bus.close(),
  };
}

describe('manager readiness', () => {
  it('answers 503 on /health/ready while the manager cannot start, keeps retrying, then serves', async () => {
    const sim = await startExchangeSimulator();
    const rt = await startTestRuntime(sim.url, { overrides: (dir) => ({ bus: busUnavailableAtFirst(new EmbeddedBus({ dataDir: dir }), 3) }) });
    const server = new AdminServer(rt.runtime);
    try {
      const port = await server.listen(0, '127.0.0.1');
      const ready = async () => (await request(`http://127.0.0.1:${port}/health/ready`)).statusCode;
      assert.equal(await ready(), 503, 'not ready while the manager fails to start');
      assert.equal((await request(`http://127.0.0.1:${port}/health/live`)).statusCode, 200);
      await waitFor('the manager to start after the bus recovers', async () => ((await ready()) === 200 ? true : undefined), 30_000);
      const wf = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1h', range: { fromMs: Date.parse('2024-01-01T00:00:00Z'), toMs: Date.parse('2024-01-02T00:00:00Z') } });
      assert.equal((await rt.settle(wf.queue_id)).status, 'completed');
    } finally {
      await server.close();
      await rt.close();
      await sim.close();
    }
  });
});
