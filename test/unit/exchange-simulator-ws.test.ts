import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { expectedAggTrades, expectedTrades, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type {
  AggTradeRow,
  BookLevels,
  ExchangeSimulator,
  KlineRow,
  Level,
  SimulatorOptions,
  TradeRow,
} from '../../src/system/exchange-simulator/index.ts';
import { waitFor } from '../helpers/wait-for.ts';

const MINUTE = 60_000;
/** Saturday 2024-06-15 12:30:15.250 UTC. */
const NOW = Date.UTC(2024, 5, 15, 12, 30, 15, 250);
const DECIMAL_8 = /^\d+\.\d{8}$/;
const TICK_MS = 10;

type Json = Record<string, unknown>;

/** A `ws` client that records every frame, pings and how it closed. */
class Client {
  readonly frames: Json[] = [];
  pings = 0;
  readonly socket: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.socket = new WebSocket(url, { perMessageDeflate: false, ...options });
    this.socket.on('message', (data: Buffer) => this.frames.push(JSON.parse(data.toString('utf8')) as Json));
    this.socket.on('ping', () => {
      this.pings += 1;
    });
    this.closed = new Promise((resolve) => {
      this.socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.socket.on('error', () => undefined);
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
    const client = new Client(url, options);
    await new Promise<void>((resolve, reject) => {
      client.socket.once('open', () => resolve());
      client.socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      client.socket.once('error', reject);
    });
    return client;
  }

  /** Sends a request and waits for the reply carrying its id. */
  async request(body: Json): Promise<Json> {
    this.socket.send(JSON.stringify(body));
    return waitFor(`reply to ${JSON.stringify(body)}`, () => this.frames.find((f) => f['id'] === body['id'] && !('e' in f)), 5000, 5);
  }

  /** Event payloads, unwrapped from combined frames, optionally of one stream or event type. */
  events(filter: { stream?: string; e?: string } = {}): Json[] {
    const out: Json[] = [];
    for (const frame of this.frames) {
      const wrapped = typeof frame['stream'] === 'string';
      if (filter.stream !== undefined && frame['stream'] !== filter.stream) continue;
      const data = (wrapped ? frame['data'] : frame) as Json;
      if (typeof data['e'] !== 'string') continue;
      if (filter.e === undefined || data['e'] === filter.e) out.push(data);
    }
    return out;
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Refused upgrade: the HTTP status and headers. */
async function refusal(url: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  const socket = new WebSocket(url);
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('upgrade accepted'));
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      socket.terminate();
    });
  });
}

async function getJson<T>(sim: ExchangeSimulator, path: string): Promise<{ body: T; weight: number }> {
  const res = await fetch(`${sim.url}${path}`);
  assert.equal(res.status, 200, path);
  return { body: (await res.json()) as T, weight: Number(res.headers.get('x-mbx-used-weight-1m')) };
}

/** A simulator on a clock the test moves, closed after the suite; clients opened through it are closed too. */
function useSimulator(opts: SimulatorOptions = {}) {
  const clock = { now: NOW };
  const clients: Client[] = [];
  let sim: ExchangeSimulator | undefined;
  before(async () => {
    sim = await startExchangeSimulator({ nowMs: () => clock.now, ...opts, ws: { tickMs: TICK_MS, ...opts.ws } });
  });
  after(async () => {
    for (const client of clients) client.close();
    await sim?.close();
  });
  const get = (): ExchangeSimulator => {
    assert.ok(sim, 'simulator not started');
    return sim;
  };
  return {
    sim: get,
    clock,
    connect: async (path: string, options: WebSocket.ClientOptions = {}): Promise<Client> => {
      const client = await Client.open(`${get().wsUrl}${path}`, options);
      clients.push(client);
      return client;
    },
  };
}

function units(decimal: string): bigint {
  return BigInt(decimal.replace('.', ''));
}

describe('exchange simulator ws: connections and requests', () => {
  const { sim, clock, connect } = useSimulator();

  it('serves raw and combined streams on the REST port and answers live requests', async () => {
    assert.equal(sim().wsUrl, sim().url.replace('http://', 'ws://'));
    assert.equal(sim().archiveUrl, sim().url);
    const raw = await connect('/ws/btcusdt@aggTrade');
    const combined = await connect('/stream?streams=ethusdt@aggTrade/btcusdt@kline_1m');
    assert.deepEqual(await combined.request({ method: 'LIST_SUBSCRIPTIONS', id: 1 }), {
      result: ['ethusdt@aggTrade', 'btcusdt@kline_1m'],
      id: 1,
    });
    assert.deepEqual(await combined.request({ method: 'SUBSCRIBE', params: ['btcusdt@trade'], id: 2 }), { result: null, id: 2 });
    assert.deepEqual(await combined.request({ method: 'UNSUBSCRIBE', params: ['ethusdt@aggTrade'], id: 3 }), { result: null, id: 3 });
    assert.deepEqual(await combined.request({ method: 'LIST_SUBSCRIPTIONS', id: 4 }), { result: ['btcusdt@kline_1m', 'btcusdt@trade'], id: 4 });
    assert.equal(sim().wsStats().subscriptions, 3);
    clock.now += 3000;
    await waitFor('events on both connections', () =>
      raw.events({ e: 'aggTrade' }).length > 0 && combined.events({ stream: 'btcusdt@trade' }).length > 0 ? true : undefined,
    );
    assert.ok(raw.frames.every((f) => f['e'] === 'aggTrade'), 'raw payloads are not wrapped');
    assert.ok(
      combined.frames.filter((f) => !('id' in f)).every((f) => typeof f['stream'] === 'string' && typeof f['data'] === 'object'),
      'combined payloads are wrapped',
    );
    assert.equal(combined.events({ stream: 'ethusdt@aggTrade' }).length, 0, 'no event after UNSUBSCRIBE');
  });

  it('answers bad requests with Binance error replies', async () => {
    const client = await connect('/ws');
    assert.deepEqual(await client.request({ method: 'SUBSCRIBE', params: ['nosuchusdt@trade'], id: 5 }), {
      error: { code: 2, msg: "Invalid request: invalid symbol in stream name 'nosuchusdt@trade'" },
      id: 5,
    });
    const unknownKind = await client.request({ method: 'SUBSCRIBE', params: ['btcusdt@ticker'], id: 6 });
    assert.equal((unknownKind['error'] as Json)['code'], 2);
    const unknownMethod = await client.request({ method: 'SUBSCRIBEE', params: [], id: 7 });
    assert.equal((unknownMethod['error'] as Json)['code'], 2);
    client.socket.send('{not json');
    const invalid = await waitFor('invalid JSON reply', () => client.frames.find((f) => (f['error'] as Json | undefined)?.['code'] === 3), 5000, 5);
    assert.equal(invalid['id'], null);
    assert.deepEqual(await client.request({ method: 'LIST_SUBSCRIPTIONS', id: 8 }), { result: [], id: 8 });
  });

  it('refuses upgrades for unknown streams, symbols and paths', async () => {
    const before = sim().wsStats().rejectedConnections;
    assert.equal((await refusal(`${sim().wsUrl}/ws/btcusdt@nothing`)).status, 400);
    assert.equal((await refusal(`${sim().wsUrl}/stream?streams=btcusdt@trade/nosuchusdt@trade`)).status, 400);
    assert.equal((await refusal(`${sim().wsUrl}/ws/BTCUSDT@trade`)).status, 400, 'symbols are lowercase');
    assert.equal((await refusal(`${sim().wsUrl}/elsewhere`)).status, 404);
    assert.equal(sim().wsStats().rejectedConnections, before + 4);
  });

  it('closes a connection that sends more than 5 messages a second', async () => {
    const client = await connect('/ws');
    for (let id = 1; id <= 6; id++) client.socket.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id }));
    assert.equal((await client.closed).code, 1008);
    assert.ok(sim().wsStats().rateLimitCloses >= 1);
  });

  it('terminates every connection on dropConnections, without a close frame', async () => {
    const a = await connect('/ws/btcusdt@trade');
    const b = await connect('/stream?streams=ethusdt@trade');
    const open = sim().wsStats().open;
    assert.equal(sim().dropConnections(), open);
    assert.equal((await a.closed).code, 1006);
    assert.equal((await b.closed).code, 1006);
    await waitFor('no connection left', () => (sim().wsStats().open === 0 ? true : undefined));
    assert.equal(sim().wsStats().subscriptions, 0);
  });

  it('announces serverShutdown as a bare event, then closes a second later', async () => {
    const client = await connect('/stream?streams=btcusdt@trade');
    const sentAt = Date.now();
    sim().serverShutdown();
    const { code } = await client.closed;
    assert.ok(Date.now() - sentAt >= 900, 'closed about a second after the announcement');
    assert.equal(code, 1001);
    assert.deepEqual(
      client.frames.find((f) => f['e'] === 'serverShutdown'),
      { e: 'serverShutdown', E: clock.now },
    );
  });
});

describe('exchange simulator ws: limits and liveness', () => {
  const { sim, connect } = useSimulator({
    ws: { pingIntervalMs: 40, maxConnectionMs: 300, connectionAttemptLimit: 6, connectionAttemptWindowMs: 60_000, maxStreamsPerConnection: 3 },
  });

  it('pings, and terminates a client that does not pong within 3 ping intervals', async () => {
    const ponging = await connect('/ws');
    const silent = await connect('/ws', { autoPong: false });
    const { code } = await silent.closed;
    assert.equal(code, 1006, 'terminated, not closed');
    assert.ok(silent.pings >= 3, `pinged ${silent.pings} times first`);
    assert.ok(sim().wsStats().pongTimeouts >= 1);
    assert.ok(ponging.pings >= 3);
  });

  it('closes every connection maxConnectionMs after it opened (forced rotation)', async () => {
    const client = await connect('/ws/btcusdt@trade');
    const openedAt = Date.now();
    const { code } = await client.closed;
    assert.equal(code, 1000);
    assert.ok(Date.now() - openedAt >= 250);
    assert.ok(sim().wsStats().rotations >= 1);
  });

  it('holds at most maxStreamsPerConnection streams', async () => {
    assert.equal((await refusal(`${sim().wsUrl}/stream?streams=btcusdt@trade/ethusdt@trade/btcusdt@aggTrade/ethusdt@aggTrade`)).status, 400);
    const client = await connect('/stream?streams=btcusdt@trade/ethusdt@trade');
    const reply = await client.request({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'ethusdt@aggTrade'], id: 1 });
    assert.equal((reply['error'] as Json)['code'], 2);
    assert.deepEqual(await client.request({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade'], id: 2 }), { result: null, id: 2 });
  });

  it('answers further connection attempts with HTTP 429 and Retry-After', async () => {
    const opened = sim().wsStats().connectionsOpened;
    for (let i = opened; i < 6; i++) (await connect('/ws')).close();
    const refused = await refusal(`${sim().wsUrl}/ws`);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
  });
});

describe('exchange simulator ws: market data events', () => {
  const holeFrom = NOW + 10 * MINUTE;
  const holeTo = holeFrom + 5000;
  const { sim, clock, connect } = useSimulator({ holes: [{ symbol: 'ETHUSDT', fromMs: holeFrom, toMs: holeTo }] });

  it('sends aggTrade and trade events in Binance formats, the same trades REST serves', async () => {
    const client = await connect('/stream?streams=btcusdt@aggTrade/btcusdt@trade');
    const fromMs = clock.now;
    clock.now += 4000;
    const expected = expectedAggTrades('BTCUSDT', fromMs + 1, clock.now + 1, { nowMs: clock.now });
    const trades = expectedTrades('BTCUSDT', fromMs + 1, clock.now + 1, { nowMs: clock.now });
    assert.ok(expected.length >= 10);
    await waitFor('all trade events', () => (client.events({ e: 'trade' }).length >= trades.length ? true : undefined));
    const aggEvents = client.events({ e: 'aggTrade' });
    for (const event of aggEvents) {
      assert.deepEqual(Object.keys(event), ['e', 'E', 's', 'a', 'p', 'q', 'f', 'l', 'T', 'm', 'M']);
      assert.equal(event['E'], clock.now);
      assert.equal(event['s'], 'BTCUSDT');
    }
    const asRows = aggEvents.map(({ a, p, q, f, l, T, m, M }) => ({ a, p, q, f, l, T, m, M }));
    assert.deepEqual(asRows, expected);
    const rest = await getJson<AggTradeRow[]>(sim(), `/api/v3/aggTrades?symbol=BTCUSDT&startTime=${fromMs + 1}&endTime=${clock.now}`);
    assert.deepEqual(asRows, rest.body, 'aggTrade event ids and values == REST aggTrades');
    const tradeEvents = client.events({ e: 'trade' });
    for (const event of tradeEvents) assert.deepEqual(Object.keys(event), ['e', 'E', 's', 't', 'p', 'q', 'T', 'm', 'M']);
    assert.deepEqual(
      tradeEvents.map(({ t, p, q, T, m, M }) => ({ id: t, price: p, qty: q, time: T, isBuyerMaker: m, isBestMatch: M })),
      trades.map(({ id, price, qty, time, isBuyerMaker, isBestMatch }) => ({ id, price, qty, time, isBuyerMaker, isBestMatch })),
    );
  });

  it('sends a closed kline equal to the REST row, and updates of the open one', async () => {
    const client = await connect('/ws/btcusdt@kline_1m');
    const open = clock.now - (clock.now % MINUTE);
    clock.now = open + MINUTE + 1500;
    await waitFor('closed and open kline events', () =>
      client.events({ e: 'kline' }).some((e) => (e['k'] as Json)['x'] === false) ? true : undefined,
    );
    const events = client.events({ e: 'kline' });
    const closed = events.find((e) => (e['k'] as Json)['x'] === true);
    assert.ok(closed, 'a closed kline event');
    assert.deepEqual(Object.keys(closed), ['e', 'E', 's', 'k']);
    const k = closed['k'] as Json;
    assert.deepEqual(Object.keys(k), ['t', 'T', 's', 'i', 'f', 'L', 'o', 'c', 'h', 'l', 'v', 'n', 'x', 'q', 'V', 'Q', 'B']);
    const { body: rows } = await getJson<KlineRow[]>(sim(), `/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${open}&limit=2`);
    const [row, openRow] = rows;
    assert.ok(row && openRow);
    const fromRow = (r: KlineRow) => ({ t: r[0], o: r[1], h: r[2], l: r[3], c: r[4], v: r[5], T: r[6], q: r[7], n: r[8], V: r[9], Q: r[10] });
    const pick = (e: Json) => ({ t: e['t'], o: e['o'], h: e['h'], l: e['l'], c: e['c'], v: e['v'], T: e['T'], q: e['q'], n: e['n'], V: e['V'], Q: e['Q'] });
    assert.deepEqual(pick(k), fromRow(row), 'closed kline event == REST row');
    assert.equal(k['s'], 'BTCUSDT');
    assert.equal(k['i'], '1m');
    assert.equal(k['B'], '0');
    assert.ok((k['L'] as number) >= (k['f'] as number));
    const update = events.find((e) => (e['k'] as Json)['x'] === false);
    assert.ok(update);
    assert.deepEqual(pick(update['k'] as Json), fromRow(openRow), 'open kline update == the partial REST row at the same time');
  });

  it('sends nothing with a time inside a maintenance hole', async () => {
    const client = await connect('/stream?streams=ethusdt@aggTrade/ethusdt@kline_1s');
    clock.now = holeFrom - 3000;
    await waitFor('events before the hole', () => (client.events({ e: 'aggTrade' }).length > 0 ? true : undefined));
    clock.now = holeTo + 3000;
    await waitFor('events after the hole', () =>
      client.events({ e: 'aggTrade' }).some((e) => (e['T'] as number) >= holeTo) ? true : undefined,
    );
    await waitFor('klines after the hole', () =>
      client.events({ e: 'kline' }).some((e) => ((e['k'] as Json)['t'] as number) >= holeTo) ? true : undefined,
    );
    const aggs = client.events({ e: 'aggTrade' });
    assert.ok(aggs.every((e) => (e['T'] as number) < holeFrom || (e['T'] as number) >= holeTo));
    aggs.forEach((e, i) => i === 0 || assert.equal(e['a'], (aggs[i - 1]?.['a'] as number) + 1, 'ids stay consecutive across the hole'));
    const klines = client.events({ e: 'kline' }).map((e) => (e['k'] as Json)['t'] as number);
    assert.ok(klines.every((t) => t < holeFrom || t >= holeTo));
  });

  it('serves historicalTrades derived from the aggregate trades', async () => {
    const { body: aggs } = await getJson<AggTradeRow[]>(sim(), '/api/v3/aggTrades?symbol=BTCUSDT&fromId=1000&limit=40');
    const first = aggs[0];
    const last = aggs.at(-1);
    assert.ok(first && last);
    const before = sim().stats().weightUsed;
    const { body: trades } = await getJson<TradeRow[]>(sim(), `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${first.f}&limit=1000`);
    assert.equal(sim().stats().weightUsed - before, 25);
    assert.equal(trades.length, 1000);
    trades.forEach((t, i) => {
      assert.deepEqual(Object.keys(t), ['id', 'price', 'qty', 'quoteQty', 'time', 'isBuyerMaker', 'isBestMatch']);
      assert.equal(t.id, first.f + i, 'ids contiguous');
      assert.match(t.qty, DECIMAL_8);
      assert.match(t.quoteQty, DECIMAL_8);
    });
    for (const agg of aggs) {
      const own = trades.filter((t) => t.id >= agg.f && t.id <= agg.l);
      assert.equal(own.length, agg.l - agg.f + 1);
      assert.ok(own.every((t) => t.price === agg.p && t.time === agg.T && t.isBuyerMaker === agg.m && units(t.qty) > 0n));
      assert.equal(own.reduce((sum, t) => sum + units(t.qty), 0n), units(agg.q), `trades of ${agg.a} sum to its qty exactly`);
    }
    const { body: middle } = await getJson<TradeRow[]>(sim(), `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${first.f + 1}&limit=3`);
    assert.deepEqual(middle, trades.slice(1, 4), 'fromId inside an aggregate');
    const { body: recent } = await getJson<TradeRow[]>(sim(), '/api/v3/historicalTrades?symbol=BTCUSDT&limit=5');
    const { body: latest } = await getJson<AggTradeRow[]>(sim(), '/api/v3/aggTrades?symbol=BTCUSDT&limit=1');
    assert.equal(recent.length, 5);
    assert.equal(recent.at(-1)?.id, latest[0]?.l, 'without fromId: the most recent trades');
    const { body: pepe } = await getJson<TradeRow[]>(sim(), '/api/v3/historicalTrades?symbol=PEPEUSDT&fromId=0&limit=10');
    const { body: pepeAggs } = await getJson<AggTradeRow[]>(sim(), '/api/v3/aggTrades?symbol=PEPEUSDT&fromId=0&limit=10');
    const firstAgg = pepeAggs[0];
    assert.ok(firstAgg);
    const own = pepe.filter((t) => t.id <= firstAgg.l);
    assert.equal(own.reduce((sum, t) => sum + units(t.qty), 0n), units(firstAgg.q), 'exact beyond float64 precision');
  });
});

/** Applies Binance's procedure: drop events with u <= L, the first applied one spans L, then no gap. */
function replay(snapshot: BookLevels, events: readonly Json[]): BookLevels {
  const bids = new Map(snapshot.bids);
  const asks = new Map(snapshot.asks);
  let last = snapshot.lastUpdateId;
  let first = true;
  for (const event of events) {
    const U = event['U'] as number;
    const u = event['u'] as number;
    if (u <= last) continue;
    if (first) assert.ok(U <= snapshot.lastUpdateId && snapshot.lastUpdateId <= u, `snapshot ${snapshot.lastUpdateId} inside [${U}, ${u}]`);
    else assert.equal(U, last + 1, 'no gap');
    first = false;
    for (const [side, levels] of [
      [bids, event['b']],
      [asks, event['a']],
    ] as const) {
      for (const [price, qty] of levels as Level[]) {
        if (Number(qty) === 0) side.delete(price);
        else side.set(price, qty);
      }
    }
    last = u;
  }
  const sorted = (side: Map<string, string>, descending: boolean): Level[] =>
    [...side].sort(([x], [y]) => (descending ? Number(y) - Number(x) : Number(x) - Number(y)));
  return { lastUpdateId: last, bids: sorted(bids, true), asks: sorted(asks, false) };
}

describe('exchange simulator ws: order book', () => {
  const { sim, clock, connect } = useSimulator();

  it('serves REST depth snapshots: top levels, sorted, weighted by limit', async () => {
    const { body: full, weight: w0 } = await getJson<BookLevels>(sim(), '/api/v3/depth?symbol=BTCUSDT&limit=5000');
    assert.deepEqual(Object.keys(full), ['lastUpdateId', 'bids', 'asks']);
    assert.ok(full.bids.length >= 40 && full.bids.length <= 260, `${full.bids.length} bid levels`);
    assert.ok(full.asks.length >= 40 && full.asks.length <= 260);
    for (const [price, qty] of [...full.bids, ...full.asks]) {
      assert.match(price, DECIMAL_8);
      assert.match(qty, DECIMAL_8);
      assert.equal(units(price) % 1_000_000n, 0n, 'prices on the 0.01 tick');
    }
    full.bids.forEach((l, i) => i === 0 || assert.ok(Number(l[0]) < Number(full.bids[i - 1]?.[0])));
    full.asks.forEach((l, i) => i === 0 || assert.ok(Number(l[0]) > Number(full.asks[i - 1]?.[0])));
    assert.ok(Number(full.bids[0]?.[0]) < Number(full.asks[0]?.[0]), 'not crossed');
    const { body: top, weight: w1 } = await getJson<BookLevels>(sim(), '/api/v3/depth?symbol=BTCUSDT&limit=5');
    assert.deepEqual(top, { lastUpdateId: full.lastUpdateId, bids: full.bids.slice(0, 5), asks: full.asks.slice(0, 5) });
    assert.equal(w1 - w0, 5);
    const weights = [];
    let previous = w1;
    for (const limit of [100, 500, 1000, 5000]) {
      const { body, weight } = await getJson<BookLevels>(sim(), `/api/v3/depth?symbol=BTCUSDT&limit=${limit}`);
      assert.ok(body.bids.length <= limit);
      weights.push(weight - previous);
      previous = weight;
    }
    assert.deepEqual(weights, [5, 25, 50, 250]);
    assert.equal((await getJson<BookLevels>(sim(), '/api/v3/depth?symbol=BTCUSDT')).body.bids.length, Math.min(100, full.bids.length));
  });

  it('sends a diff stream that, applied to a snapshot by Binance rules, reproduces book()', async () => {
    const fast = await connect('/ws/btcusdt@depth@100ms');
    const slow = await connect('/stream?streams=btcusdt@depth');
    clock.now += 300;
    await waitFor('first depth events', () => (fast.events().length >= 3 ? true : undefined));
    const { body: snapshot } = await getJson<BookLevels>(sim(), '/api/v3/depth?symbol=BTCUSDT&limit=5000');
    assert.ok(snapshot.lastUpdateId > sim().book('BTCUSDT').lastUpdateId, 'the engine is inside the next batch');
    const seen = fast.events().length;
    clock.now += 2000;
    await waitFor('20 more batches', () => (fast.events().length >= seen + 20 ? true : undefined));
    const target = sim().book('BTCUSDT');
    await waitFor('events up to the book', () => (fast.events().at(-1)?.['u'] === target.lastUpdateId ? true : undefined));
    const events = fast.events();
    const firstEvent = events[0];
    assert.ok(firstEvent);
    assert.deepEqual(Object.keys(firstEvent), ['e', 'E', 's', 'U', 'u', 'b', 'a']);
    assert.equal(firstEvent['s'], 'BTCUSDT');
    events.forEach((e, i) => {
      assert.ok((e['u'] as number) >= (e['U'] as number) + 1, 'at least two changes per batch');
      if (i > 0) assert.equal(e['U'], (events[i - 1]?.['u'] as number) + 1, 'consecutive update ids');
    });
    assert.ok(events.some((e) => [...(e['b'] as Level[]), ...(e['a'] as Level[])].some(([, q]) => q === '0.00000000')), 'some removals');
    assert.deepEqual(replay(snapshot, events), target);
    // The 1000 ms stream sends each second's batches merged once the second is over.
    await waitFor('merged events past the snapshot', () =>
      (slow.events().at(-1)?.['u'] as number | undefined ?? 0) > snapshot.lastUpdateId ? true : undefined,
    );
    const merged = slow.events();
    const lastMerged = merged.at(-1)?.['u'] as number;
    assert.ok(lastMerged > snapshot.lastUpdateId, 'merged events past the snapshot');
    assert.ok(merged.length < events.filter((e) => (e['u'] as number) <= lastMerged).length, 'batches merged per second');
    assert.deepEqual(replay(snapshot, merged), replay(snapshot, events.filter((e) => (e['u'] as number) <= lastMerged)));
  });

  it('skips one batch after injectDepthGap', async () => {
    const client = await connect('/ws/btcusdt@depth@100ms');
    clock.now += 200;
    await waitFor('depth events', () => (client.events().length >= 2 ? true : undefined));
    sim().injectDepthGap('BTCUSDT');
    const seen = client.events().length;
    clock.now += 300;
    await waitFor('events after the gap', () => (client.events().length >= seen + 2 ? true : undefined));
    const events = client.events();
    const gaps = events.filter((e, i) => i > 0 && e['U'] !== (events[i - 1]?.['u'] as number) + 1);
    assert.equal(gaps.length, 1, 'exactly one jump in U');
    assert.equal(events.at(-1)?.['u'], sim().book('BTCUSDT').lastUpdateId, 'the dropped batch still changed the book');
  });

  it('keeps an unwatched book still, with its ids', async () => {
    const before = sim().book('ETHUSDT');
    clock.now += 5000;
    await new Promise((resolve) => setTimeout(resolve, 5 * TICK_MS));
    assert.deepEqual(sim().book('ETHUSDT'), before);
  });
});

describe('exchange simulator ws: firehose and options', () => {
  it('terminates connections at random with randomDisconnectPerMinute', async () => {
    const sim = await startExchangeSimulator({ ws: { tickMs: TICK_MS, randomDisconnectPerMinute: 600 } });
    const client = await Client.open(`${sim.wsUrl}/ws/btcusdt@trade`);
    try {
      assert.equal((await client.closed).code, 1006);
      assert.equal(sim.wsStats().randomDisconnects, 1);
    } finally {
      client.close();
      await sim.close();
    }
  });

  it('streams synthetic aggTrades at the asked rate with consecutive ids', async () => {
    const sim = await startExchangeSimulator({ ws: { firehose: { symbol: 'BTCUSDT', eventsPerSecond: 2000 } } });
    const client = await Client.open(`${sim.wsUrl}/ws/btcusdt@aggTrade`);
    try {
      await waitFor('400 firehose events', () => (client.events().length >= 400 ? true : undefined), 5000, 5);
      const events = client.events();
      events.forEach((e, i) => {
        assert.equal(e['a'], i + 1);
        assert.equal(e['E'], e['T']);
      });
    } finally {
      client.close();
      await sim.close();
    }
  });

  it('reports every invalid ws option at once', async () => {
    await assert.rejects(
      startExchangeSimulator({ ws: { tickMs: 0, pingIntervalMs: -1, firehose: { symbol: 'NOPE', eventsPerSecond: 1 } } }),
      (err: Error) => err instanceof RangeError && /tickMs/.test(err.message) && /pingIntervalMs/.test(err.message) && /firehose/.test(err.message),
    );
  });

  it('closes its sockets on close()', async () => {
    const sim = await startExchangeSimulator();
    const client = await Client.open(`${sim.wsUrl}/ws/btcusdt@trade`);
    await sim.close();
    assert.equal((await client.closed).code, 1006);
  });

  it('routes /data/ to the archive server, unweighted', async () => {
    const sim = await startExchangeSimulator({ archive: { missing: ['BTCUSDT-1m-2024-01.zip'] } });
    try {
      const res = await fetch(`${sim.url}/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01.zip`);
      assert.equal(res.status, 404);
      await res.arrayBuffer();
      assert.equal(res.headers.get('x-mbx-used-weight-1m'), null);
      assert.equal(sim.stats().weightUsed, 0);
    } finally {
      await sim.close();
    }
  });
});
