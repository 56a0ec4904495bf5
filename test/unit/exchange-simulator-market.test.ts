import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Candle, candleFromKline } from '../../src/protocol/index.ts';
import { startExchangeSimulator, syntheticMarketKlines } from '../../src/system/exchange-simulator/index.ts';
import type { AggTradeRow, ExchangeSimulator, KlineRow } from '../../src/system/exchange-simulator/index.ts';
import { SyntheticMarket } from '../../src/system/synthetic-market/index.ts';
import type { SyntheticMarketSpec } from '../../src/system/synthetic-market/index.ts';

const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 15, 12, 30, 15);
const FROM = Date.UTC(2024, 5, 1);
const SEED = 41;
const MARKET: SyntheticMarketSpec = {
  kind: 'planted-clusters',
  symbols: ['SYNAUSDT', 'SYNBUSDT', 'SYNCUSDT', 'SYNDUSDT', 'SYNEUSDT', 'SYNFUSDT'],
  seed: 9,
  clusters: 2,
  startMs: Date.UTC(2024, 0, 1),
};

async function json<T>(sim: ExchangeSimulator, path: string): Promise<T> {
  const res = await fetch(`${sim.url}${path}`);
  assert.equal(res.status, 200, path);
  return (await res.json()) as T;
}

describe('exchange simulator: a synthetic market', () => {
  let withMarket: ExchangeSimulator | undefined;
  let plain: ExchangeSimulator | undefined;
  const sims = (): [ExchangeSimulator, ExchangeSimulator] => {
    assert.ok(withMarket && plain);
    return [withMarket, plain];
  };

  before(async () => {
    withMarket = await startExchangeSimulator({ seed: SEED, nowMs: () => NOW, market: MARKET });
    plain = await startExchangeSimulator({ seed: SEED, nowMs: () => NOW });
  });
  after(async () => {
    await withMarket?.close();
    await plain?.close();
  });

  it('lists the market symbols beside the default ones', async () => {
    const info = await json<{ symbols: Array<{ symbol: string }> }>(sims()[0], '/api/v3/exchangeInfo');
    assert.deepEqual(info.symbols.map((s) => s.symbol).sort(), ['BTCUSDT', 'ETHUSDT', 'PEPEUSDT', ...MARKET.symbols].sort());
  });

  it('serves klines whose hourly log returns are the market\'s, as valid candles, the same as syntheticMarketKlines', async () => {
    const market = new SyntheticMarket(MARKET);
    const offline = syntheticMarketKlines(MARKET, '1h', FROM, 300, SEED);
    for (const [i, symbol] of MARKET.symbols.entries()) {
      const rows = await json<KlineRow[]>(sims()[0], `/api/v3/klines?symbol=${symbol}&interval=1h&startTime=${FROM}&limit=300`);
      assert.deepEqual(rows, offline[i]);
      const k0 = (FROM - (MARKET.startMs ?? 0)) / HOUR;
      rows.forEach((row, k) => {
        Candle.parse(candleFromKline(row, symbol, '1h'));
        const open = Number(row[1]);
        const close = Number(row[4]);
        const tick = 10 ** -(row[4].split('.')[1]?.replace(/0+$/, '').length ?? 0);
        const expected = market.level(i, k0 + k + 1) - market.level(i, k0 + k);
        assert.ok(Math.abs(Math.log(close / open) - expected) <= (2 * Math.max(tick, 1e-8)) / close, `${symbol} hour ${k}: ${Math.log(close / open)} vs ${expected}`);
      });
    }
  });

  it('keeps every other symbol as it was', async () => {
    const [a, b] = sims();
    const query = `/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=${FROM}&limit=100`;
    assert.deepEqual(await json<KlineRow[]>(a, query), await json<KlineRow[]>(b, query));
  });

  it('draws every interval and the trades from the same path', async () => {
    const [sim] = sims();
    const symbol = MARKET.symbols[3] ?? '';
    const hour = await json<KlineRow[]>(sim, `/api/v3/klines?symbol=${symbol}&interval=1h&startTime=${FROM}&limit=1`);
    const minutes = await json<KlineRow[]>(sim, `/api/v3/klines?symbol=${symbol}&interval=1m&startTime=${FROM}&limit=60`);
    assert.equal(minutes[0]?.[1], hour[0]?.[1], 'same open');
    assert.equal(minutes[59]?.[4], hour[0]?.[4], 'same close');
    const trades = await json<AggTradeRow[]>(sim, `/api/v3/aggTrades?symbol=${symbol}&startTime=${FROM}&endTime=${FROM + 600_000}&limit=1000`);
    assert.ok(trades.length > 100);
    const low = Math.min(...minutes.slice(0, 11).map((m) => Number(m[3])));
    const high = Math.max(...minutes.slice(0, 11).map((m) => Number(m[2])));
    const tick = 2 * 10 ** -4 * high;
    for (const t of trades) assert.ok(Number(t.p) >= low - tick && Number(t.p) <= high + tick, `trade at ${t.p} outside ${low}…${high}`);
  });

  it('refuses a second, different market for the same seed and symbols', async () => {
    await assert.rejects(startExchangeSimulator({ seed: SEED, market: { ...MARKET, seed: 10 } }), /seed 41 already serves SYNAUSDT from another synthetic market/);
    await assert.rejects(startExchangeSimulator({ seed: SEED, market: { kind: 'random-walks', symbols: ['BTCUSDT'], seed: 1 } }), /already served BTCUSDT's default prices/);
  });

  it('reports a malformed market with the other option problems', async () => {
    await assert.rejects(
      startExchangeSimulator({ seed: 99, latencyMs: -1, market: { kind: 'planted-clusters', symbols: ['SYNX', 'bad symbol'], seed: 1, clusters: 5 } }),
      (err: Error) => /latencyMs must be >= 0/.test(err.message) && /market: clusters must be a whole number from 1 to the number of symbols/.test(err.message),
    );
    await assert.rejects(
      startExchangeSimulator({ seed: 98, market: { kind: 'random-walks', symbols: ['bad symbol'], seed: 1 } }),
      /market symbol "bad symbol" is not/,
    );
  });
});
