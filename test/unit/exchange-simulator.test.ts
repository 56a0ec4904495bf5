import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  expectedAggTrades,
  expectedKlines,
  startExchangeSimulator,
} from '../../src/system/exchange-simulator/index.ts';
import type {
  AggTradeRow,
  ExchangeSimulator,
  KlineRow,
  SimulatorOptions,
} from '../../src/system/exchange-simulator/index.ts';

const MINUTE = 60_000;
/** Saturday 2024-06-15 12:30:15.250 UTC: mid-minute, so the still-open kline is partial. */
const NOW = Date.UTC(2024, 5, 15, 12, 30, 15, 250);
const DECIMAL_8 = /^\d+\.\d{8}$/;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

async function get(sim: ExchangeSimulator, path: string): Promise<Reply> {
  const res = await fetch(`${sim.url}${path}`);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function klines(sim: ExchangeSimulator, query: string): Promise<KlineRow[]> {
  const reply = await get(sim, `/api/v3/klines?${query}`);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body as KlineRow[];
}

/** A simulator whose clock the test moves, closed after the enclosing suite. */
function useSimulator(opts: SimulatorOptions = {}): { sim: () => ExchangeSimulator; clock: { now: number } } {
  const clock = { now: NOW };
  let sim: ExchangeSimulator | undefined;
  before(async () => {
    sim = await startExchangeSimulator({ nowMs: () => clock.now, ...opts });
  });
  after(async () => {
    await sim?.close();
  });
  return {
    sim: () => {
      assert.ok(sim, 'simulator not started');
      return sim;
    },
    clock,
  };
}

function assertWellFormed(row: KlineRow, intervalMs: number): void {
  assert.equal(row.length, 12);
  const [open, o, h, l, c, v, close, qv, trades, tbv, tqv, ignore] = row;
  for (const decimal of [o, h, l, c, v, qv, tbv, tqv]) assert.match(decimal, DECIMAL_8);
  assert.equal(close, open + intervalMs - 1);
  assert.ok(Number.isInteger(trades) && trades >= 0);
  assert.equal(ignore, '0');
  assert.ok(Number(h) >= Math.max(Number(o), Number(c)), `high ${h} below open/close`);
  assert.ok(Number(l) <= Math.min(Number(o), Number(c)), `low ${l} above open/close`);
  assert.ok(BigInt(tbv.replace('.', '')) <= BigInt(v.replace('.', '')));
}

function significantDigits(decimal: string): number {
  return decimal.replace('.', '').replace(/^0+/, '').length;
}

describe('exchange simulator: general endpoints', () => {
  const { sim } = useSimulator();

  it('answers ping and time in Binance formats', async () => {
    const ping = await get(sim(), '/api/v3/ping');
    assert.equal(ping.status, 200);
    assert.deepEqual(ping.body, {});
    assert.equal(ping.headers.get('content-type'), 'application/json;charset=UTF-8');
    assert.deepEqual((await get(sim(), '/api/v3/time')).body, { serverTime: NOW });
  });

  it('describes rate limits and symbols in exchangeInfo, filtered by symbol', async () => {
    const all = await get(sim(), '/api/v3/exchangeInfo');
    assert.equal(all.status, 200);
    const info = all.body as {
      timezone: string;
      serverTime: number;
      rateLimits: unknown[];
      exchangeFilters: unknown[];
      symbols: Array<{ symbol: string; status: string; baseAsset: string; quoteAsset: string }>;
    };
    assert.equal(info.timezone, 'UTC');
    assert.equal(info.serverTime, NOW);
    assert.deepEqual(info.exchangeFilters, []);
    assert.deepEqual(info.rateLimits, [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
    ]);
    assert.deepEqual(
      info.symbols.map((s) => s.symbol),
      ['BTCUSDT', 'ETHUSDT', 'PEPEUSDT'],
    );
    const one = (await get(sim(), '/api/v3/exchangeInfo?symbol=PEPEUSDT')).body as typeof info;
    assert.equal(one.symbols.length, 1);
    const [pepe] = one.symbols;
    assert.deepEqual([pepe?.symbol, pepe?.status, pepe?.baseAsset, pepe?.quoteAsset], ['PEPEUSDT', 'TRADING', 'PEPE', 'USDT']);
    const unknown = await get(sim(), '/api/v3/exchangeInfo?symbol=NOPEUSDT');
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, { code: -1121, msg: 'Invalid symbol.' });
  });

  it('answers unknown paths with 404 and a Binance error body', async () => {
    const reply = await get(sim(), '/api/v3/nope');
    assert.equal(reply.status, 404);
    assert.equal((reply.body as { code: number }).code, -1000);
  });
});

describe('exchange simulator: klines', () => {
  const listedAtMs = Date.UTC(2020, 0, 1, 10, 0);
  const { sim, clock } = useSimulator({
    symbols: { BTCUSDT: {}, ETHUSDT: {}, PEPEUSDT: {}, NEWUSDT: { listedAtMs } },
  });

  it('serves 12-column rows with 8-decimal strings and consistent OHLC', async () => {
    for (const symbol of ['BTCUSDT', 'ETHUSDT', 'PEPEUSDT']) {
      const rows = await klines(sim(), `symbol=${symbol}&interval=1m&startTime=${NOW - 1000 * MINUTE}&limit=1000`);
      assert.equal(rows.length, 1000);
      for (const row of rows) assertWellFormed(row, MINUTE);
    }
  });

  it('starts at the first open time >= startTime and treats endTime as inclusive', async () => {
    const base = Date.UTC(2024, 5, 1);
    const rows = await klines(sim(), `symbol=BTCUSDT&interval=1m&startTime=${base + 1}&endTime=${base + 5 * MINUTE}`);
    assert.deepEqual(
      rows.map((r) => r[0]),
      [1, 2, 3, 4, 5].map((i) => base + i * MINUTE),
    );
    const limited = await klines(sim(), `symbol=BTCUSDT&interval=1m&startTime=${base}&limit=3`);
    assert.deepEqual(
      limited.map((r) => r[0]),
      [0, 1, 2].map((i) => base + i * MINUTE),
    );
    assert.equal((await klines(sim(), `symbol=BTCUSDT&interval=1m&startTime=${base}`)).length, 500);
  });

  it('returns the newest klines up to endTime, or up to now with the open one last', async () => {
    const endTime = Date.UTC(2024, 5, 1, 8, 0);
    const upToEnd = await klines(sim(), `symbol=BTCUSDT&interval=1h&endTime=${endTime}&limit=3`);
    assert.deepEqual(
      upToEnd.map((r) => r[0]),
      [endTime - 2 * 3_600_000, endTime - 3_600_000, endTime],
    );
    const latest = await klines(sim(), 'symbol=BTCUSDT&interval=1m&limit=2');
    const open = latest[1];
    assert.ok(open);
    assert.equal(open[0], NOW - (NOW % MINUTE));
    assert.ok(open[6] > NOW, 'the still-open kline closes in the future');
    const afterNow = await klines(sim(), `symbol=BTCUSDT&interval=1m&startTime=${NOW + MINUTE}`);
    assert.deepEqual(afterNow, []);
  });

  it('serves the still-open kline with partial values that complete once it closes', async () => {
    const openTime = NOW - (NOW % MINUTE);
    const [partial] = await klines(sim(), `symbol=BTCUSDT&interval=1m&startTime=${openTime}`);
    assert.ok(partial);
    const [final] = expectedKlines('BTCUSDT', '1m', openTime, openTime + MINUTE, { nowMs: openTime + 10 * MINUTE });
    assert.ok(final);
    assert.equal(partial[1], final[1], 'same open');
    assert.ok(Number(partial[5]) < Number(final[5]), 'partial volume is smaller');
    assert.deepEqual([partial], expectedKlines('BTCUSDT', '1m', openTime, openTime + MINUTE, { nowMs: NOW }));
    clock.now = openTime + 2 * MINUTE;
    try {
      const [closed] = await klines(sim(), `symbol=BTCUSDT&interval=1m&startTime=${openTime}`);
      assert.deepEqual(closed, final);
    } finally {
      clock.now = NOW;
    }
  });

  it('has no klines before the listing', async () => {
    const first = await klines(sim(), 'symbol=NEWUSDT&interval=1d&startTime=0&limit=2');
    assert.deepEqual(
      first.map((r) => r[0]),
      [Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 2)],
    );
    const before = await klines(sim(), `symbol=NEWUSDT&interval=1h&endTime=${listedAtMs - 1}`);
    assert.deepEqual(before, []);
  });

  it('aligns 3d to the epoch, 1w to Monday and 1M to calendar months (UTC)', async () => {
    const threeDays = await klines(sim(), `symbol=BTCUSDT&interval=3d&startTime=${Date.UTC(2024, 0, 1)}&limit=3`);
    for (const row of threeDays) {
      assert.equal(row[0] % 259_200_000, 0);
      assertWellFormed(row, 259_200_000);
    }
    const weeks = await klines(sim(), `symbol=BTCUSDT&interval=1w&startTime=${Date.UTC(2024, 0, 3)}&limit=3`);
    assert.deepEqual(
      weeks.map((r) => new Date(r[0]).toISOString()),
      ['2024-01-08T00:00:00.000Z', '2024-01-15T00:00:00.000Z', '2024-01-22T00:00:00.000Z'],
    );
    for (const row of weeks) assertWellFormed(row, 7 * 86_400_000);
    const months = await klines(sim(), `symbol=BTCUSDT&interval=1M&startTime=${Date.UTC(2023, 11, 15)}&limit=3`);
    assert.deepEqual(
      months.map((r) => [new Date(r[0]).toISOString(), new Date(r[6]).toISOString()]),
      [
        ['2024-01-01T00:00:00.000Z', '2024-01-31T23:59:59.999Z'],
        ['2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z'],
        ['2024-03-01T00:00:00.000Z', '2024-03-31T23:59:59.999Z'],
      ],
    );
  });

  it('prints PEPEUSDT volumes with more significant digits than a float64 keeps', async () => {
    for (const interval of ['1s', '1m', '1d', '1M']) {
      const rows = await klines(sim(), `symbol=PEPEUSDT&interval=${interval}&endTime=${NOW - 86_400_000}&limit=5`);
      assert.equal(rows.length, 5);
      for (const row of rows) {
        for (const volume of [row[5], row[9]]) {
          assert.ok(significantDigits(volume) >= 20, `${interval} volume ${volume} has < 20 digits`);
          assert.notEqual(Number(volume).toFixed(8), volume, 'float64 must lose digits');
        }
      }
    }
  });

  it('serves exactly what expectedKlines predicts, for every interval and symbol', async () => {
    const intervals = ['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'];
    for (const symbol of ['BTCUSDT', 'ETHUSDT', 'PEPEUSDT']) {
      for (const interval of intervals) {
        const rows = await klines(sim(), `symbol=${symbol}&interval=${interval}&limit=40`);
        assert.equal(rows.length, 40, `${symbol} ${interval}`);
        const first = rows[0];
        assert.ok(first);
        assert.deepEqual(rows, expectedKlines(symbol, interval, first[0], NOW + 1, { nowMs: NOW }), `${symbol} ${interval}`);
      }
    }
  });

  it('is deterministic per seed', async () => {
    const other = await startExchangeSimulator({ nowMs: () => NOW, seed: 2 });
    const same = await startExchangeSimulator({ nowMs: () => NOW });
    try {
      const query = `symbol=ETHUSDT&interval=5m&startTime=${Date.UTC(2023, 3, 1)}&limit=50`;
      const mine = await klines(sim(), query);
      assert.deepEqual(await klines(same, query), mine);
      assert.notDeepEqual(await klines(other, query), mine);
    } finally {
      await Promise.all([other.close(), same.close()]);
    }
  });
});

describe('exchange simulator: holes', () => {
  const holeFrom = Date.UTC(2024, 5, 10, 3, 7);
  const holeTo = Date.UTC(2024, 5, 10, 5, 0, 30);
  const holes = [
    { symbol: 'BTCUSDT', fromMs: holeFrom, toMs: holeTo },
    { fromMs: Date.UTC(2024, 5, 11), toMs: Date.UTC(2024, 5, 11, 0, 10) },
  ];
  const { sim } = useSimulator({ holes });

  it('serves no kline with an open time inside a hole', async () => {
    const rows = await klines(sim(), `symbol=BTCUSDT&interval=1m&startTime=${holeFrom - 2 * MINUTE}&limit=4`);
    assert.deepEqual(
      rows.map((r) => r[0]),
      [holeFrom - 2 * MINUTE, holeFrom - MINUTE, Date.UTC(2024, 5, 10, 5, 1), Date.UTC(2024, 5, 10, 5, 2)],
    );
    const eth = await klines(sim(), `symbol=ETHUSDT&interval=1m&startTime=${holeFrom}&limit=1`);
    assert.equal(eth[0]?.[0], holeFrom, 'a symbol-specific hole leaves other symbols alone');
    const global = await klines(sim(), `symbol=ETHUSDT&interval=1m&endTime=${Date.UTC(2024, 5, 11, 0, 9)}&limit=1`);
    assert.equal(global[0]?.[0], Date.UTC(2024, 5, 11) - MINUTE, 'backwards paging skips a global hole');
  });

  it('pages across a hole exactly as expectedKlines predicts', async () => {
    const fromMs = holeFrom - 300 * MINUTE;
    const toMs = holeTo + 700 * MINUTE;
    const fetched: KlineRow[] = [];
    let cursor = fromMs;
    for (;;) {
      const page = await klines(sim(), `symbol=BTCUSDT&interval=1m&startTime=${cursor}&endTime=${toMs - 1}&limit=250`);
      fetched.push(...page);
      const last = page.at(-1);
      if (page.length < 250 || last === undefined) break;
      cursor = last[0] + 1;
    }
    const expected = expectedKlines('BTCUSDT', '1m', fromMs, toMs, { holes, nowMs: NOW });
    assert.equal(fetched.length, 300 + 700); // 300 minutes before the hole, 700 after it
    assert.deepEqual(fetched, expected);
    assert.ok(expected.every((r) => r[0] < holeFrom || r[0] >= holeTo));
  });
});

describe('exchange simulator: aggTrades', () => {
  const holeFrom = Date.UTC(2024, 5, 14, 10, 0, 0, 500);
  const holeTo = Date.UTC(2024, 5, 14, 10, 0, 20, 250);
  const holes = [{ symbol: 'BTCUSDT', fromMs: holeFrom, toMs: holeTo }];
  const { sim } = useSimulator({ holes });

  async function aggTrades(query: string): Promise<AggTradeRow[]> {
    const reply = await get(sim(), `/api/v3/aggTrades?${query}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body as AggTradeRow[];
  }

  it('serves {a,p,q,f,l,T,m,M} rows with consecutive ids from startTime', async () => {
    const startTime = Date.UTC(2024, 5, 14, 9);
    const rows = await aggTrades(`symbol=BTCUSDT&startTime=${startTime}&limit=1000`);
    assert.equal(rows.length, 1000);
    rows.forEach((row, i) => {
      assert.deepEqual(Object.keys(row), ['a', 'p', 'q', 'f', 'l', 'T', 'm', 'M']);
      assert.match(row.p, DECIMAL_8);
      assert.match(row.q, DECIMAL_8);
      assert.ok(row.T >= startTime && row.l >= row.f);
      const previous = rows[i - 1];
      if (previous !== undefined) {
        assert.equal(row.a, previous.a + 1);
        assert.equal(row.f, previous.l + 1);
        assert.ok(row.T >= previous.T);
      }
    });
    assert.ok(
      rows.some((row, i) => row.T === rows[i - 1]?.T),
      'some trades share a millisecond',
    );
  });

  it('pages by fromId without gaps, across a hole, as expectedAggTrades predicts', async () => {
    const fromMs = holeFrom - 30_000;
    const toMs = holeTo + 30_000;
    const expected = expectedAggTrades('BTCUSDT', fromMs, toMs, { holes, nowMs: NOW });
    assert.ok(expected.every((t) => t.T < holeFrom || t.T >= holeTo));
    const first = expected[0];
    assert.ok(first);
    const fetched: AggTradeRow[] = [];
    let fromId = first.a;
    while (fetched.length < expected.length) {
      const page = await aggTrades(`symbol=BTCUSDT&fromId=${fromId}&limit=37`);
      fetched.push(...page);
      fromId = (page.at(-1)?.a ?? fromId) + 1;
    }
    assert.deepEqual(fetched.slice(0, expected.length), expected);
    const byTime = await aggTrades(`symbol=BTCUSDT&startTime=${fromMs}&endTime=${toMs - 1}&limit=1000`);
    assert.deepEqual(byTime, expected);
  });

  it('numbers trades from 0 at the listing and serves the most recent ones by default', async () => {
    const firstTrades = await aggTrades(`symbol=ETHUSDT&fromId=0&limit=3`);
    assert.deepEqual(
      firstTrades.map((t) => [t.a, t.f]),
      [
        [0, 0],
        [1, (firstTrades[0]?.l ?? 0) + 1],
        [2, (firstTrades[1]?.l ?? 0) + 1],
      ],
    );
    assert.ok((firstTrades[0]?.T ?? 0) >= Date.UTC(2017, 0, 1));
    const recent = await aggTrades('symbol=ETHUSDT&limit=5');
    assert.equal(recent.length, 5);
    assert.ok(recent.every((t) => t.T <= NOW));
    assert.ok((recent.at(-1)?.T ?? 0) > NOW - 2000);
  });
});

describe('exchange simulator: errors', () => {
  const { sim } = useSimulator();

  const cases: Array<[string, number, { code: number; msg: string }]> = [
    [
      '/api/v3/klines?interval=1m',
      400,
      { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." },
    ],
    [
      '/api/v3/klines?symbol=BTCUSDT',
      400,
      { code: -1102, msg: "Mandatory parameter 'interval' was not sent, was empty/null, or malformed." },
    ],
    ['/api/v3/klines?symbol=BTCUSDT&interval=1H', 400, { code: -1120, msg: 'Invalid interval.' }],
    ['/api/v3/klines?symbol=NOPEUSDT&interval=1m', 400, { code: -1121, msg: 'Invalid symbol.' }],
    [
      '/api/v3/klines?symbol=btcusdt&interval=1m',
      400,
      { code: -1100, msg: "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'." },
    ],
    [
      '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001',
      400,
      { code: -1130, msg: "Data sent for parameter 'limit' is not valid." },
    ],
    [
      '/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=abc',
      400,
      { code: -1100, msg: "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'." },
    ],
    [
      '/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=2000&endTime=1000',
      400,
      { code: -1023, msg: 'Start time is greater than end time.' },
    ],
    [
      `/api/v3/aggTrades?symbol=BTCUSDT&startTime=${NOW - 3_600_001}&endTime=${NOW}`,
      400,
      { code: -1127, msg: 'More than 1 hours between startTime and endTime.' },
    ],
    ['/api/v3/aggTrades?symbol=BTCUSDT&limit=0', 400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." }],
  ];

  for (const [path, status, body] of cases) {
    it(`answers ${path} with ${body.code}`, async () => {
      const reply = await get(sim(), path);
      assert.equal(reply.status, status);
      assert.deepEqual(reply.body, body);
      assert.ok(reply.headers.get('x-mbx-used-weight-1m') !== null, 'errors carry weight headers too');
    });
  }

  it('injects 5xx with a -1001 body on klines only, without changing the data', async () => {
    const query = `/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${Date.UTC(2024, 0, 1)}&limit=5`;
    const clean = await get(sim(), query);
    sim().setServerErrorRate(1);
    try {
      const failed = await get(sim(), query);
      assert.ok([500, 502, 503].includes(failed.status), `status ${failed.status}`);
      assert.deepEqual(failed.body, {
        code: -1001,
        msg: 'Internal error; unable to process your request. Please try again.',
      });
      assert.equal((await get(sim(), '/api/v3/ping')).status, 200);
      assert.ok(sim().stats().status5xx >= 1);
    } finally {
      sim().setServerErrorRate(0);
    }
    assert.deepEqual((await get(sim(), query)).body, clean.body);
    assert.throws(() => sim().setServerErrorRate(2), RangeError);
  });
});

describe('exchange simulator: latency', () => {
  it('delays every response by latencyMs', async () => {
    const sim = await startExchangeSimulator({ latencyMs: 40 });
    try {
      const started = performance.now();
      assert.equal((await get(sim, '/api/v3/ping')).status, 200);
      assert.ok(performance.now() - started >= 35, 'responded too early');
    } finally {
      await sim.close();
    }
  });
});

describe('exchange simulator: rate limits', () => {
  it('reports used weight per window, resetting at each window boundary', async () => {
    const clock = { now: NOW };
    const sim = await startExchangeSimulator({
      nowMs: () => clock.now,
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 10, limit: 1000 },
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      ],
    });
    try {
      const used = async (path: string): Promise<[string | null, string | null]> => {
        const reply = await get(sim, path);
        return [reply.headers.get('x-mbx-used-weight-10s'), reply.headers.get('x-mbx-used-weight-1m')];
      };
      assert.deepEqual(await used('/api/v3/ping'), ['1', '1']);
      assert.deepEqual(await used('/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1'), ['3', '3']);
      assert.deepEqual(await used('/api/v3/exchangeInfo'), ['23', '23']);
      assert.deepEqual(await used('/api/v3/aggTrades?symbol=BTCUSDT&limit=1'), ['27', '27']);
      assert.deepEqual(await used('/api/v3/klines?symbol=NOPE&interval=1m'), ['29', '29']);
      clock.now = NOW - (NOW % 10_000) + 10_000; // next 10 s window, same minute
      assert.deepEqual(await used('/api/v3/ping'), ['1', '30']);
      clock.now = NOW - (NOW % MINUTE) + MINUTE; // next minute
      assert.deepEqual(await used('/api/v3/ping'), ['1', '1']);
      const stats = sim.stats();
      assert.equal(stats.requests, 7);
      assert.equal(stats.weightUsed, 31);
      assert.deepEqual(stats.maxUsedWeight, { '10S': 29, '1M': 30 });
    } finally {
      await sim.close();
    }
  });

  it('answers 429 with Retry-After, then bans with 418 a client that keeps sending', async () => {
    const clock = { now: NOW };
    const sim = await startExchangeSimulator({
      nowMs: () => clock.now,
      banGraceMs: 0,
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 10 }],
    });
    try {
      const path = '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1';
      for (let i = 0; i < 5; i++) assert.equal((await get(sim, path)).status, 200);
      const limited = await get(sim, path);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '45'); // 44.75 s left in the minute
      assert.equal(limited.headers.get('x-mbx-used-weight-1m'), '10');
      assert.deepEqual(limited.body, {
        code: -1003,
        msg: 'Too much request weight used; current limit is 10 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.',
      });
      clock.now += 1000;
      const banned = await get(sim, '/api/v3/ping');
      assert.equal(banned.status, 418);
      const bannedUntil = clock.now + 2 * 43_750;
      assert.equal(banned.headers.get('retry-after'), '88');
      assert.deepEqual(banned.body, {
        code: -1003,
        msg: `Way too much request weight used; IP banned until ${bannedUntil}. Please use WebSocket Streams for live updates to avoid bans.`,
      });
      clock.now = bannedUntil - 1; // a new window, still banned
      assert.equal((await get(sim, '/api/v3/ping')).status, 418);
      assert.equal(sim.stats().banned, true);
      clock.now = bannedUntil;
      assert.equal((await get(sim, '/api/v3/ping')).status, 200);
      const stats = sim.stats();
      assert.equal(stats.status429, 1);
      assert.equal(stats.status418, 2);
      assert.equal(stats.banned, false);
      assert.equal(stats.bannedUntilMs, bannedUntil);
    } finally {
      await sim.close();
    }
  });

  it('lowers its limits mid-window when told to: what was used still counts, exchangeInfo advertises the new ones', async () => {
    const clock = { now: NOW };
    const sim = await startExchangeSimulator({
      nowMs: () => clock.now,
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 100 }],
    });
    try {
      const path = '/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1';
      for (let i = 0; i < 3; i++) assert.equal((await get(sim, path)).status, 200);
      const tight = [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 30 }] as const;
      sim.setRateLimits(tight);
      const info = await get(sim, '/api/v3/exchangeInfo');
      assert.deepEqual((info.body as { rateLimits: unknown[] }).rateLimits, tight);
      assert.equal(info.headers.get('x-mbx-used-weight-1m'), '26'); // 3 × 2 before, 20 now
      assert.equal((await get(sim, path)).status, 200);
      assert.equal((await get(sim, path)).status, 200);
      assert.equal((await get(sim, path)).status, 429);
    } finally {
      await sim.close();
    }
  });

  it('does not ban requests already in flight within the grace period, nor a client that waited', async () => {
    const clock = { now: NOW };
    const sim = await startExchangeSimulator({
      nowMs: () => clock.now,
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 10, limit: 2 }],
    });
    try {
      const statuses = await Promise.all([1, 2, 3, 4].map(async () => (await get(sim, '/api/v3/ping')).status));
      assert.deepEqual(
        statuses.sort((a, b) => a - b),
        [200, 200, 429, 429],
      );
      const retryAfter = Number((await get(sim, '/api/v3/ping')).headers.get('retry-after'));
      assert.equal(retryAfter, 5); // 4.75 s to the next 10 s window
      clock.now += retryAfter * 1000;
      assert.equal((await get(sim, '/api/v3/ping')).status, 200);
      assert.equal(sim.stats().status418, 0);
    } finally {
      await sim.close();
    }
  });

  it('enforces RAW_REQUESTS too', async () => {
    const sim = await startExchangeSimulator({
      nowMs: () => NOW,
      rateLimits: [{ rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 3 }],
    });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await get(sim, '/api/v3/exchangeInfo')).status, 200);
      const limited = await get(sim, '/api/v3/ping');
      assert.equal(limited.status, 429);
      assert.equal((limited.body as { code: number }).code, -1003);
      assert.equal(limited.headers.get('retry-after'), String(Math.ceil((300_000 - (NOW % 300_000)) / 1000)));
    } finally {
      await sim.close();
    }
  });
});
