import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { BinanceRestClient, firstAggTrade, firstAggTrades } from '../../src/actors/index.ts';
import type { HttpClient, HttpRequestOptions } from '../../src/actors/index.ts';
import { liveSeriesFor } from '../../src/actors/live/live-series-for.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { PromMetrics, systemClock } from '../../src/system/observability/index.ts';
import { testStageSettings } from '../helpers/stage-settings.ts';
import { expectedAggTrades, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';

const hour = 3_600_000;
const day = 24 * hour;
const listedAt = Date.parse('2024-06-03T08:00:00Z');
/** Far more than a search from before the listing should need; a search walking hour by hour hits it at once. */
const MAX_REQUESTS = 20;

/** Passes requests on, recording each aggTrades query; past its budget it fails them (a runaway search fails fast). */
class CountingHttp implements HttpClient {
  readonly aggTrades: string[] = [];
  readonly #inner: HttpClient;

  constructor(inner: HttpClient) {
    this.#inner = inner;
  }

  get(url: string, options?: HttpRequestOptions) {
    const u = new URL(url);
    if (u.pathname === '/api/v3/aggTrades') {
      this.aggTrades.push(u.search);
      if (this.aggTrades.length > MAX_REQUESTS) return Promise.reject(new Error(`runaway: more than ${MAX_REQUESTS} aggTrades requests`));
    }
    return this.#inner.get(url, options);
  }

  getBytes(url: string, options?: HttpRequestOptions) {
    return this.#inner.getBytes(url, options);
  }
}

describe('the first trade of a range starting long before the symbol was listed', () => {
  let sim: ExchangeSimulator;
  let undici: UndiciHttpClient;
  before(async () => {
    sim = await startExchangeSimulator({ symbols: { PEPEUSDT: { listedAtMs: listedAt } } });
    undici = new UndiciHttpClient();
  });
  after(async () => {
    await undici?.close();
    await sim?.close();
  });

  async function client(): Promise<{ client: BinanceRestClient; http: CountingHttp }> {
    const http = new CountingHttp(undici);
    // One attempt: a failed request fails the search at once.
    const c = new BinanceRestClient({ baseUrl: sim.url, http, clock: systemClock, metrics: new PromMetrics({ defaults: false }), log: pino({ level: 'silent' }), retry: testStageSettings({ exchangeMaxAttempts: 1 }).retry.exchangeRequest });
    await c.init('PEPEUSDT');
    return { client: c, http };
  }

  const [listing] = expectedAggTrades('PEPEUSDT', listedAt, listedAt + hour, { listedAtMs: listedAt, nowMs: Date.now() });

  it('starts from the exchange’s first trade ever instead of walking the empty hours before it', async () => {
    assert.ok(listing, 'the simulator has trades after the listing');
    const { client: c, http } = await client();
    const first = await firstAggTrade(c, 'PEPEUSDT', { fromMs: listedAt - 180 * day, upTo: () => c.serverNow() });
    assert.deepEqual(first, listing);
    assert.ok(http.aggTrades.length <= 2, `${http.aggTrades.length} aggTrades requests`);
    assert.ok(http.aggTrades.some((q) => q.includes('fromId=0')), 'the first trade ever was asked for');
  });

  it('finds where a live series starts (aggregate and single trade ids) in a few requests', async () => {
    assert.ok(listing);
    const { client: c, http } = await client();
    assert.equal(await liveSeriesFor('ws_aggtrades', 'PEPEUSDT').keyBefore(c, listedAt - 365 * day), listing.a - 1);
    assert.equal(await liveSeriesFor('ws_trades', 'PEPEUSDT').keyBefore(c, listedAt - 365 * day), listing.f - 1);
    // The first trade ever is asked once per client.
    assert.equal(http.aggTrades.filter((q) => q.includes('fromId=0')).length, 1);
    assert.ok(http.aggTrades.length <= 3, `${http.aggTrades.length} aggTrades requests`);
  });

  it('keeps its bounds: nothing before the end, at most the windows asked for, the same answer after the listing', async () => {
    assert.ok(listing);
    const { client: c } = await client();
    assert.deepEqual(await firstAggTrades(c, 'PEPEUSDT', { fromMs: listedAt - 90 * day, untilMs: listedAt - day }), []);
    const one = await firstAggTrades(c, 'PEPEUSDT', { fromMs: listedAt - 90 * day, untilMs: listedAt + day, maxWindows: 1, limit: 5 });
    assert.deepEqual(one, expectedAggTrades('PEPEUSDT', listedAt, listedAt + hour, { listedAtMs: listedAt, nowMs: Date.now() }).slice(0, 5));
    const later = listedAt + 2 * hour + 17;
    const [afterListing] = expectedAggTrades('PEPEUSDT', later, later + hour, { listedAtMs: listedAt, nowMs: Date.now() });
    assert.deepEqual(await firstAggTrade(c, 'PEPEUSDT', { fromMs: later }), afterListing);
  });
});
