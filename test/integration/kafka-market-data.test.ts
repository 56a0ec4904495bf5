// Issue: market data breadth. Every new type across processes on a real Kafka broker: REST trades,
// the bulk archive (with a missing and a corrupt file) and a live stream broken by a forced disconnect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Targets, tradeFromRow } from '../../src/protocol/index.ts';
import type { Trade } from '../../src/protocol/index.ts';
import { querySeries } from '../../src/system/query/index.ts';
import { ProcessLauncher } from '../../src/system/launcher/index.ts';
import { expectedTrades as expectedTradeRows, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { TradeRow } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { processStagesOnKafka, releaseKafka, requireKafka } from '../helpers/kafka-broker.ts';
import { startTestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { assertExactAggTrades, assertExactCandles } from './exact-data.ts';

function tradesOf(rows: readonly TradeRow[]): Trade[] {
  return rows.map((r) => tradeFromRow(r, 'ETHUSDT'));
}

describe('trades, archives and live streams over a real Kafka broker, each stage its own process', { timeout: 600_000 }, () => {
  let bootstrap: string;
  let sim: ExchangeSimulator;
  before(async () => {
    bootstrap = await requireKafka();
    sim = await startExchangeSimulator({
      latencyMs: 5,
      archive: { missing: ['ETHUSDT-1m-2024-03.zip'], corrupt: ['ETHUSDT-1m-2024-04-10.zip'] },
      ws: { pingIntervalMs: 1_000 },
    });
  });
  after(async () => {
    await sim?.close();
    await releaseKafka();
  });

  it('loads api_trades, archive_candles_1m and ws_aggtrades exactly, all at once', async () => {
    const rt = await startTestRuntime(sim.url, { env: processStagesOnKafka(bootstrap) });
    try {
      assert.ok(rt.runtime.launcher instanceof ProcessLauncher);
      assert.equal(rt.runtime.bus.kind, 'kafka');
      const tradesFrom = Date.parse('2024-06-01T00:00:00Z');
      const tradesTo = tradesFrom + 6 * 3_600_000; // 64,800 aggregate trades
      const archiveFrom = Date.parse('2024-02-20T00:00:00Z');
      const archiveTo = Date.parse('2024-05-03T06:00:00Z'); // months, a missing month's days, a corrupt day, REST edges
      const liveFrom = Date.now() - 5_000;
      const liveTo = liveFrom + 40_000;

      const trades = await rt.manager.create({ symbol: 'BTCUSDT', type: 'api_trades', range: { fromMs: tradesFrom, toMs: tradesTo } });
      const archive = await rt.manager.create({ symbol: 'ETHUSDT', type: 'archive_candles_1m', range: { fromMs: archiveFrom, toMs: archiveTo } });
      const live = await rt.manager.create({ symbol: 'PEPEUSDT', type: 'ws_aggtrades', range: { fromMs: liveFrom, toMs: liveTo } });

      // A forced disconnect mid-stream: the loader's process must fetch what it missed over REST.
      await waitFor('the live loader to connect', () => (sim.wsStats().open >= 1 ? true : undefined), 60_000);
      await delay(3_000);
      assert.ok(Date.now() < liveTo - 10_000, 'the disconnect falls inside the live range');
      assert.ok(sim.dropConnections() >= 1, 'the live loader was connected');

      for (const wf of [trades, archive, live]) {
        const done = await rt.settle(wf.queue_id, 240_000);
        assert.equal(done.status, 'completed', `${wf.type}: ${JSON.stringify(done.error)}`);
      }
      assert.equal(await assertExactAggTrades(rt.runtime.store, 'BTCUSDT', tradesFrom, tradesTo), 64_800);
      await assertExactCandles(rt.runtime.store, archive.collection_name, 'ETHUSDT', '1m', archiveFrom, archiveTo);
      const n = await assertExactAggTrades(rt.runtime.store, 'PEPEUSDT', liveFrom, liveTo);
      assert.ok(n > 100, `live aggregate trades stored: ${n}`);
      const liveDone = await rt.registry.get(live.queue_id);
      assert.equal(liveDone?.stages[Targets.connector]?.records, n);
      assert.equal(liveDone?.stages[Targets.loader]?.records, n);
    } finally {
      await rt.close();
    }
  });

  it('loads ws_candles_1s, ws_trades, ws_depth and archive_trades across processes, the live ones through a serverShutdown', async () => {
    const rt = await startTestRuntime(sim.url, { env: processStagesOnKafka(bootstrap) });
    try {
      const liveFrom = Date.now() - 3_000;
      const liveTo = liveFrom + 60_000; // eight stage processes start on two cores first
      const archiveFrom = Date.parse('2024-04-09T12:00:00Z');
      const archiveTo = Date.parse('2024-04-11T00:00:00Z'); // half a day over REST, a whole day from its zip
      const candles = await rt.manager.create({ symbol: 'BTCUSDT', type: 'ws_candles_1s', range: { fromMs: liveFrom, toMs: liveTo } });
      const trades = await rt.manager.create({ symbol: 'ETHUSDT', type: 'ws_trades', range: { fromMs: liveFrom, toMs: liveTo } });
      const depth = await rt.manager.create({ symbol: 'BTCUSDT', type: 'ws_depth', range: { fromMs: liveFrom, toMs: liveTo } });
      const archive = await rt.manager.create({ symbol: 'PEPEUSDT', type: 'archive_trades', range: { fromMs: archiveFrom, toMs: archiveTo } });

      await waitFor('the live loaders to connect', () => (sim.wsStats().open >= 3 ? true : undefined), 40_000);
      await delay(2_000);
      assert.ok(Date.now() < liveTo - 10_000, 'the shutdown falls inside the live range');
      sim.serverShutdown();

      for (const wf of [candles, trades, depth, archive]) {
        const done = await rt.settle(wf.queue_id, 240_000);
        assert.equal(done.status, 'completed', `${wf.type}: ${JSON.stringify(done.error)}`);
        assert.equal(done.stages[Targets.connector]?.records, done.stages[Targets.loader]?.records, `${wf.type}: stored what was sent`);
      }
      const n = await assertExactCandles(rt.runtime.store, candles.collection_name, 'BTCUSDT', '1s', liveFrom, liveTo);
      assert.ok(n >= 25, `1s candles stored: ${n}`);
      const expectedTrades = tradesOf(expectedTradeRows('ETHUSDT', liveFrom, liveTo));
      const { records } = await querySeries(rt.runtime.store, { symbol: 'ETHUSDT', type: 'ws_trades', fromMs: liveFrom, toMs: liveTo });
      assert.deepEqual(records, expectedTrades);
      await assertExactAggTrades(rt.runtime.store, 'PEPEUSDT', archiveFrom, archiveTo);
      const book = await querySeries(rt.runtime.store, { symbol: 'BTCUSDT', type: 'ws_depth', fromMs: liveFrom, toMs: liveTo });
      const kinds = new Set(book.records.map((r) => ('record' in r ? r.record : '')));
      assert.deepEqual([...kinds].sort(), ['book_snapshot', 'depth_update']);
    } finally {
      await rt.close();
    }
  });
});
