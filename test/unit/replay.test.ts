// Replay: the merge order of several symbols (ties by symbol, then id), pacing by event time on the
// fake clock, holes from the store alone, the messages of each format, the Binance frames, the
// command's arguments and the HTTP resource.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/actors/index.ts';
import { AggTradeEvent, DepthEvent, KlineEvent } from '../../src/protocol/index.ts';
import type { AggTrade, Candle, DepthUpdate, SeriesRecord } from '../../src/protocol/index.ts';
import { replayCommand } from '../../src/system/cli/replay-command.ts';
import { UsageError } from '../../src/system/cli/usage-error.ts';
import { binanceFrame, combinedFrame, replayMessages, ReplayRun } from '../../src/system/replay/index.ts';
import type { ReplaySink } from '../../src/system/replay/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { startHttpTestServer } from '../helpers/http-test-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

const T0 = Date.parse('2024-08-01T00:00:00Z');

function trade(symbol: string, id: number, timestamp: number): AggTrade {
  return { trade_id: id, price: `${100 + id}.5`, quantity: '0.01000000', first_trade_id: id * 3, last_trade_id: id * 3 + 2, timestamp, is_buyer_maker: id % 2 === 0, is_best_match: true, symbol };
}

async function storeTrades(store: Store, collection: string, trades: readonly AggTrade[]): Promise<void> {
  await store.ensureCollection(collection, { sortField: 'timestamp' });
  await store.upsert(collection, trades.map((t) => ({ _key: `${t.symbol}_${t.trade_id}`, ...t })));
}

/** A sink that keeps what it is given, with the clock's time of each send. */
class RecordingSink implements ReplaySink {
  readonly sends: Array<{ readonly at: number; readonly records: readonly SeriesRecord[] }> = [];
  opened = false;
  closed = false;
  readonly #clock: { now(): number };
  constructor(clock: { now(): number }) {
    this.#clock = clock;
  }
  where() {
    return { topic: 'recorded' };
  }
  open(): Promise<void> {
    this.opened = true;
    return Promise.resolve();
  }
  send(records: readonly SeriesRecord[]): Promise<void> {
    this.sends.push({ at: this.#clock.now(), records: [...records] });
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  get records(): SeriesRecord[] {
    return this.sends.flatMap((s) => s.records);
  }
}

describe('replay order', () => {
  it('merges symbols by event time, ties by symbol then id, whichever collection holds them', async () => {
    const store = new EmbeddedStore(':memory:');
    try {
      // Ties at T0+5 between the symbols and within ETHUSDT; BTCUSDT split over two collections of its series.
      await storeTrades(store, 'ethusdt_api_trades_2024_08_01', [trade('ETHUSDT', 7, T0 + 5), trade('ETHUSDT', 6, T0 + 5), trade('ETHUSDT', 5, T0 + 1), trade('ETHUSDT', 8, T0 + 9)]);
      await storeTrades(store, 'btcusdt_api_trades_2024_08_01', [trade('BTCUSDT', 40, T0 + 5), trade('BTCUSDT', 39, T0 + 2)]);
      await storeTrades(store, 'btcusdt_archive_trades_2024_08_01', [trade('BTCUSDT', 41, T0 + 5), trade('BTCUSDT', 42, T0 + 9)]);
      const clock = new FakeClock(T0 + 86_400_000);
      const sink = new RecordingSink(clock);
      const state = await new ReplayRun({ symbols: ['ETHUSDT', 'BTCUSDT'], type: 'api_trades', fromMs: T0, toMs: T0 + 60_000 }, { store, clock, sink }).run();
      assert.equal(state.status, 'completed');
      assert.deepEqual(
        sink.records.map((r) => `${r.symbol}:${(r as AggTrade).trade_id}`),
        ['ETHUSDT:5', 'BTCUSDT:39', 'BTCUSDT:40', 'BTCUSDT:41', 'ETHUSDT:6', 'ETHUSDT:7', 'BTCUSDT:42', 'ETHUSDT:8'],
      );
      assert.equal(state.records, 8);
      assert.equal(state.replayedToMs, T0 + 9);
      assert.ok(sink.opened && sink.closed);
      // A second replay sends the same bytes.
      const again = new RecordingSink(clock);
      await new ReplayRun({ symbols: ['BTCUSDT', 'ETHUSDT'], type: 'ws_aggtrades', fromMs: T0, toMs: T0 + 60_000 }, { store, clock, sink: again }).run();
      assert.equal(replayMessages(again.records, 'record').map((m) => m.value).join('\n'), replayMessages(sink.records, 'record').map((m) => m.value).join('\n'));
    } finally {
      await store.close();
    }
  });
});

describe('replay pacing', () => {
  async function pacedSends(speed: 'max' | number): Promise<{ sleeps: number[]; sends: Array<{ at: number; ids: number[] }> }> {
    const store = new EmbeddedStore(':memory:');
    try {
      await storeTrades(store, 'btcusdt_api_trades_2024_08_01', [trade('BTCUSDT', 1, T0), trade('BTCUSDT', 2, T0 + 1000), trade('BTCUSDT', 3, T0 + 1000), trade('BTCUSDT', 4, T0 + 5000)]);
      const start = T0 + 86_400_000;
      const clock = new FakeClock(start);
      const sink = new RecordingSink(clock);
      const state = await new ReplayRun({ symbols: ['BTCUSDT'], type: 'api_trades', fromMs: T0, toMs: T0 + 60_000, speed }, { store, clock, sink }).run();
      assert.equal(state.status, 'completed');
      return { sleeps: clock.sleeps, sends: sink.sends.map((s) => ({ at: s.at - start, ids: s.records.map((r) => (r as AggTrade).trade_id) })) };
    } finally {
      await store.close();
    }
  }

  it('--speed 1 sends each record when its event time has come, the due ones together', async () => {
    const { sleeps, sends } = await pacedSends(1);
    assert.deepEqual(sleeps, [1000, 4000]);
    assert.deepEqual(sends, [
      { at: 0, ids: [1] },
      { at: 1000, ids: [2, 3] },
      { at: 5000, ids: [4] },
    ]);
  });

  it('--speed 10 waits a tenth of the event time', async () => {
    const { sleeps } = await pacedSends(10);
    assert.deepEqual(sleeps, [100, 400]);
  });

  it('--speed max never waits and sends in chunks', async () => {
    const { sleeps, sends } = await pacedSends('max');
    assert.deepEqual(sleeps, []);
    assert.deepEqual(sends, [{ at: 0, ids: [1, 2, 3, 4] }]);
  });
});

describe('replay holes (store only)', () => {
  it('reports missing candles and missing trade ids, and with fail_on_holes sends nothing', async () => {
    const store = new EmbeddedStore(':memory:');
    try {
      const candle = (open: number): Candle => ({
        open_time: open, open: '1', high: '1', low: '1', close: '1', volume: '1', close_time: open + 59_999, quote_asset_volume: '1', number_of_trades: 1,
        taker_buy_base_asset_volume: '1', taker_buy_quote_asset_volume: '1', symbol: 'BTCUSDT', interval: '1m',
      });
      await store.ensureCollection('btcusdt_api_candles_1m_2024_08_01', { sortField: 'open_time' });
      // Minutes 0..9 without 3, 4 and 8.
      await store.upsert('btcusdt_api_candles_1m_2024_08_01', [0, 1, 2, 5, 6, 7, 9].map((m) => ({ _key: `BTCUSDT_1m_${T0 + m * 60_000}`, ...candle(T0 + m * 60_000) })));
      const clock = new FakeClock(T0 + 86_400_000);
      const sink = new RecordingSink(clock);
      const run = new ReplayRun({ symbols: ['BTCUSDT'], type: 'api_candles_1m', fromMs: T0, toMs: T0 + 10 * 60_000, failOnHoles: true }, { store, clock, sink });
      const state = await run.run();
      assert.deepEqual(state.holes.map((h) => [h.from_ms - T0, h.to_ms - T0, h.count]), [[180_000, 300_000, 2], [480_000, 540_000, 1]]);
      assert.equal(state.status, 'failed');
      assert.match(state.error?.message ?? '', /2 holes/);
      assert.equal(sink.records.length, 0);
      assert.equal(sink.opened, false);

      await storeTrades(store, 'btcusdt_api_trades_2024_08_01', [trade('BTCUSDT', 10, T0 + 1), trade('BTCUSDT', 11, T0 + 2), trade('BTCUSDT', 15, T0 + 7)]);
      const trades = await new ReplayRun({ symbols: ['BTCUSDT'], type: 'api_trades', fromMs: T0, toMs: T0 + 60_000 }, { store, clock, sink }).run();
      assert.equal(trades.status, 'completed');
      assert.deepEqual(trades.holes.map((h) => [h.from_id, h.to_id, h.count]), [[12, 14, 3]]);
      assert.equal(sink.records.length, 3);
    } finally {
      await store.close();
    }
  });
});

describe('replay messages and frames', () => {
  it('batch: consecutive records of one symbol per message, keyed by it, with sf-format and sf-count', () => {
    const records = [trade('BTCUSDT', 1, T0), trade('BTCUSDT', 2, T0), trade('ETHUSDT', 1, T0), trade('BTCUSDT', 3, T0 + 1)];
    const batches = replayMessages(records, 'batch');
    assert.deepEqual(batches.map((m) => [m.key, m.headers?.['sf-format'], m.headers?.['sf-count']]), [['BTCUSDT', 'batch', '2'], ['ETHUSDT', 'batch', '1'], ['BTCUSDT', 'batch', '1']]);
    assert.deepEqual(batches.flatMap((m) => JSON.parse(m.value) as AggTrade[]), records);
    const singles = replayMessages(records, 'record');
    assert.deepEqual(singles.map((m) => [m.key, JSON.parse(m.value) as AggTrade, m.headers]), records.map((r) => [r.symbol, r, undefined]));
  });

  it('frames records as Binance events that the exchange schemas read back', () => {
    const t = trade('BTCUSDT', 7, T0 + 3);
    const frame = binanceFrame(t);
    assert.equal(frame?.stream, 'btcusdt@aggTrade');
    const wrapped = JSON.parse(combinedFrame(frame ?? { stream: '', payload: '' })) as { stream: string; data: unknown };
    assert.equal(wrapped.stream, 'btcusdt@aggTrade');
    const event = AggTradeEvent.parse(wrapped.data);
    assert.deepEqual([event.a, event.p, event.q, event.f, event.l, event.T, event.m, event.M, event.s], [7, t.price, t.quantity, 21, 23, T0 + 3, t.is_buyer_maker, true, 'BTCUSDT']);

    const c: Candle = {
      open_time: T0, open: '1.10', high: '1.30', low: '1.00', close: '1.20', volume: '5', close_time: T0 + 59_999, quote_asset_volume: '6', number_of_trades: 3,
      taker_buy_base_asset_volume: '2', taker_buy_quote_asset_volume: '2.4', symbol: 'ETHUSDT', interval: '1m',
    };
    const kline = binanceFrame(c);
    assert.equal(kline?.stream, 'ethusdt@kline_1m');
    const k = KlineEvent.parse(JSON.parse(kline?.payload ?? '')).k;
    assert.deepEqual([k.t, k.T, k.o, k.h, k.l, k.c, k.v, k.n, k.x, k.q, k.V, k.Q], [T0, T0 + 59_999, '1.10', '1.30', '1.00', '1.20', '5', 3, true, '6', '2', '2.4']);

    const d: DepthUpdate = { record: 'depth_update', symbol: 'BTCUSDT', first_update_id: 5, final_update_id: 9, event_time: T0, bids: [['1.0', '2.0']], asks: [] };
    const depth = binanceFrame(d);
    assert.equal(depth?.stream, 'btcusdt@depth@100ms');
    const e = DepthEvent.parse(JSON.parse(depth?.payload ?? ''));
    assert.deepEqual([e.U, e.u, e.E, e.b, e.a], [5, 9, T0, [['1.0', '2.0']], []]);
    assert.equal(binanceFrame({ record: 'book_snapshot', symbol: 'BTCUSDT', last_update_id: 9, event_time: T0, reason: 'initial', bids: [], asks: [] }), undefined);
  });
});

describe('replay arguments', () => {
  const base = ['--symbols', 'btcusdt,ETHUSDT', '--type', 'api_trades', '--from', '2024-08-01', '--to', '2024-08-02'];
  const usage = (argv: string[]) => {
    try {
      replayCommand.parse(argv);
    } catch (err) {
      assert.ok(err instanceof UsageError, String(err));
      return err.message;
    }
    assert.fail(`accepted: ${argv.join(' ')}`);
  };

  it('reads symbols, sink, speed and format', () => {
    const args = replayCommand.parse([...base, '--topic', 'replay-1', '--speed', '10', '--message-format', 'batch', '--fail-on-holes', '--no-progress']);
    assert.deepEqual(args.symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.equal(args.topic, 'replay-1');
    assert.equal(args.speed, 10);
    assert.equal(args.messageFormat, 'batch');
    assert.equal(args.failOnHoles, true);
    assert.equal(args.progress, false);
    const ws = replayCommand.parse([...base, '--ws-port', '0']);
    assert.equal(ws.wsPort, 0);
    assert.equal(ws.speed, 'max');
    assert.equal(ws.messageFormat, 'record');
  });

  it('names the flag and what is accepted', () => {
    assert.match(usage([...base]), /exactly one of --topic NAME .* and --ws-port N/);
    assert.match(usage([...base, '--topic', 'a', '--ws-port', '9000']), /exactly one of --topic/);
    assert.match(usage([...base, '--topic', 'a', '--speed', 'fast']), /invalid --speed "fast"; accepted: max, or a factor/);
    assert.match(usage([...base, '--topic', 'a', '--speed', '0']), /invalid --speed "0"/);
    assert.match(usage([...base, '--topic', 'a', '--message-format', 'csv']), /invalid --message-format "csv"; accepted: record batch/);
    assert.match(usage([...base, '--ws-port', '70000']), /invalid --ws-port "70000"; accepted: a port from 0/);
    assert.match(usage([...base, '--topic', 'bad topic']), /invalid --topic "bad topic"/);
    assert.match(usage(['--type', 'api_trades', '--from', '2024-08-01', '--to', '2024-08-02', '--topic', 'a']), /missing --symbols/);
    assert.match(usage(['--symbols', 'BTC-USDT', '--type', 'api_trades', '--from', '2024-08-01', '--to', '2024-08-02', '--topic', 'a']), /invalid symbol "BTC-USDT"/);
    assert.match(usage([...base, '--topic', 'a', '--type', 'api_tradez']), /unknown type "api_tradez"; accepted/);
    assert.match(usage(['--symbols', 'BTCUSDT', '--type', 'api_trades', '--from', '2024-08-02', '--to', '2024-08-01', '--topic', 'a']), /--from must be before --to/);
    assert.match(usage([...base, '--ws-port', '0', '--message-format', 'batch']), /--message-format batch is for --topic/);
  });
});

describe('POST /replays, GET /replays/{id}', () => {
  it('replays into a topic of the embedded bus and reports status, records, the replayed clock and holes', async () => {
    const t = await startHttpTestServer();
    try {
      await storeTrades(t.store, 'btcusdt_api_trades_2024_08_01', [trade('BTCUSDT', 1, T0 + 1), trade('BTCUSDT', 3, T0 + 2)]);
      await storeTrades(t.store, 'ethusdt_api_trades_2024_08_01', [trade('ETHUSDT', 1, T0 + 1)]);
      const res = await t.server.app.inject({ method: 'POST', url: '/replays', payload: { symbols: ['BTCUSDT', 'ethusdt'], type: 'api_trades', from: '2024-08-01', to: '2024-08-02', topic: 'replay-http' } });
      assert.equal(res.statusCode, 202, res.body);
      const { id } = res.json<{ id: string }>();
      const done = await waitFor('the replay to end', async () => {
        const s = (await t.server.app.inject({ method: 'GET', url: `/replays/${id}` })).json<{ status: string; records: number; replayed_to_ms?: number; holes: Array<{ from_id?: number }> }>();
        return s.status === 'pending' || s.status === 'running' ? undefined : s;
      }, 10_000);
      assert.equal(done.status, 'completed');
      assert.equal(done.records, 3);
      assert.equal(done.replayed_to_ms, T0 + 2);
      assert.deepEqual(done.holes.map((h) => h.from_id), [2]);
      const got: string[] = [];
      const sub = await t.runtime.bus.subscribe({
        groupId: 'replay-http-reader', topics: ['replay-http'], fromBeginning: true, onError: () => undefined,
        handler: (batch) => {
          got.push(...batch.map((m) => `${m.key ?? ''}:${(JSON.parse(m.value) as AggTrade).trade_id}`));
          return Promise.resolve();
        },
      });
      await waitFor('the replayed messages', () => (got.length >= 3 ? true : undefined), 10_000);
      await sub.close();
      assert.deepEqual(got, ['BTCUSDT:1', 'ETHUSDT:1', 'BTCUSDT:3']);
    } finally {
      await t.close();
    }
  });

  it('answers 400 naming the field for bad bodies and 404 for an unknown id', async () => {
    const t = await startHttpTestServer();
    try {
      const post = (payload: Record<string, unknown>) => t.server.app.inject({ method: 'POST', url: '/replays', payload });
      const body = { symbols: ['BTCUSDT'], type: 'api_trades', from: '2024-08-01', to: '2024-08-02' };
      const both = await post({ ...body, topic: 'x', ws_port: 0 });
      assert.equal(both.statusCode, 400);
      assert.match(both.json<{ message: string }>().message, /exactly one of topic/);
      const speed = await post({ ...body, topic: 'x', speed: 'fast' });
      assert.equal(speed.statusCode, 400);
      assert.match(speed.json<{ message: string }>().message, /invalid speed "fast"; accepted: max/);
      const format = await post({ ...body, topic: 'x', message_format: 'csv' });
      assert.match(format.json<{ message: string }>().message, /message_format.*accepted: record, batch/);
      const missing = await t.server.app.inject({ method: 'GET', url: '/replays/rp-nothing' });
      assert.equal(missing.statusCode, 404);
    } finally {
      await t.close();
    }
  });
});
