// Issue: deployable. The connector pool (what the KEDA-scaled Deployment runs): two members in one
// consumer group serve every workflow's data; one is killed mid-run and the other takes its partitions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Targets } from '../../src/protocol/index.ts';
import { PooledConnectorLauncher } from '../../src/system/launcher/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { processStagesOnKafka, releaseKafka, requireKafka } from '../helpers/kafka-broker.ts';
import { startCli } from '../helpers/cli-process.ts';
import type { CliProcess } from '../helpers/cli-process.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { stageProcesses } from '../helpers/stage-processes.ts';
import { assertExactCandles } from './exact-data.ts';

describe('connector pool on a real Kafka broker', { timeout: 600_000 }, () => {
  let bootstrap: string;
  let sim: ExchangeSimulator;
  before(async () => {
    bootstrap = await requireKafka();
    sim = await startExchangeSimulator({ latencyMs: 10 });
  });
  after(async () => {
    await sim?.close();
    await releaseKafka();
  });

  it('writes two workflows exactly through two pool members, one killed mid-run; the manager launches no connector', async () => {
    const env = { ...processStagesOnKafka(bootstrap), CONNECTOR_POOL: 'true', CONNECTOR_POOL_POLL_MS: '500' };
    const rt = await startTestRuntime(sim.url, { env });
    const members: CliProcess[] = [];
    // Every stage process the manager runs, as the OS lists them (each lives for seconds: sampled often enough).
    const launched = new Set<string>();
    const sampler = setInterval(() => {
      for (const p of stageProcesses()) launched.add(`${p.queueId}/${p.role}`);
    }, 50);
    try {
      assert.ok(rt.runtime.launcher instanceof PooledConnectorLauncher);
      const memberEnv = { ...env, BINANCE_API_URL: sim.url, STREAMFORGE_DATA_DIR: rt.dataDir, PORT: '0' };
      members.push(startCli(['serve', '--role', 'connector'], { ...memberEnv, STREAMFORGE_INSTANCE_ID: 'pool-a' }));
      members.push(startCli(['serve', '--role', 'connector'], { ...memberEnv, STREAMFORGE_INSTANCE_ID: 'pool-b' }));
      const from = Date.parse('2022-01-01T00:00:00Z');
      const to = from + 60 * 86_400_000; // 86,400 one-minute candles each
      const a = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
      const b = await rt.manager.create({ symbol: 'ETHUSDT', type: 'api_candles_1m', range: { fromMs: from, toMs: to } });
      const written = async () => {
        let n = 0;
        for (const wf of [a, b]) n += (await rt.registry.get(wf.queue_id))?.stages[Targets.connector]?.records ?? 0;
        return n;
      };
      await waitFor('the pool to write', async () => ((await written()) > 20_000 ? true : undefined), 120_000);
      await members[0]?.kill();

      for (const wf of [a, b]) {
        const done = await rt.settle(wf.queue_id, 240_000);
        assert.equal(done.status, 'completed', JSON.stringify(done.error));
        assert.equal(done.stages[Targets.connector]?.records, 86_400);
        assert.equal(await assertExactCandles(rt.runtime.store, wf.collection_name, wf.symbol, '1m', from, to), 86_400);
      }
      // The manager launched loaders only: no process of its own stands for a connector.
      assert.deepEqual([...launched].filter((k) => k.endsWith('/connector')), []);
      assert.deepEqual([...launched].filter((k) => k.endsWith('/loader')).sort(), [`${a.queue_id}/loader`, `${b.queue_id}/loader`].sort());
      assert.equal(members[1]?.child.exitCode, null, `the surviving member still serves: ${members[1]?.stderr() ?? ''}`);
    } finally {
      clearInterval(sampler);
      for (const m of members) await m.kill();
      await rt.close();
    }
  });
});
