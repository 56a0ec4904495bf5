import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { candleFromKline } from '../../src/protocol/index.ts';
import type { KlineRow } from '../../src/protocol/index.ts';
import { BinanceRestClient } from '../../src/actors/index.ts';
import { GapFiller } from '../../src/actors/live/gap-filler.ts';
import { liveSeriesFor } from '../../src/actors/live/live-series-for.ts';
import type { KeyedRecord } from '../../src/actors/live/live-series.ts';
import { RecordSequence } from '../../src/actors/live/record-sequence.ts';
import { UndiciHttpClient } from '../../src/system/exchange/index.ts';
import { PromMetrics } from '../../src/system/observability/index.ts';
import { expectedKlines, startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { defaultPolicies } from '../helpers/stage-settings.ts';

const second = 1_000;
/** A whole second: the open time of a 1 s candle. */
const T0 = Date.parse('2024-06-03T12:00:00Z');
const series = liveSeriesFor('ws_candles_1s', 'BTCUSDT');
const range = { fromMs: T0 - 3 * second, toMs: T0 + 60 * second };
const holes = [{ symbol: 'BTCUSDT', fromMs: T0 + 20 * second, toMs: T0 + 21 * second }];

/** The closed live event of a kline row, as the exchange sends it. */
function klineEvent(row: KlineRow): KeyedRecord {
  const k = { t: row[0], T: row[6], s: 'BTCUSDT', i: '1s', f: 1, L: 2, o: row[1], c: row[4], h: row[2], l: row[3], v: row[5], n: row[8], x: true, q: row[7], V: row[9], Q: row[10], B: '0' };
  const event = series.fromEvent({ e: 'kline', E: row[6] + 1, s: 'BTCUSDT', k });
  assert.equal(event.kind, 'record');
  return event.record;
}

describe('live candles filled over REST while the client clock runs ahead of the exchange', () => {
  /** The exchange's clock, moved by the test. */
  let exchangeNow = T0 + 980;
  let sim: ExchangeSimulator;
  let http: UndiciHttpClient;
  before(async () => {
    sim = await startExchangeSimulator({ nowMs: () => exchangeNow, holes });
    http = new UndiciHttpClient();
  });
  after(async () => {
    await http?.close();
    await sim?.close();
  });

  /** A client whose offset is measured exactly at `nowMs`, its clock then gaining `skewMs` on the exchange. */
  async function clientAt(nowMs: number, skewMs: number): Promise<BinanceRestClient> {
    const clock = new FakeClock(nowMs);
    const client = new BinanceRestClient({ baseUrl: sim.url, http, clock, metrics: new PromMetrics({ defaults: false }), log: pino({ level: 'silent' }) });
    await client.init('BTCUSDT');
    await clock.advance(skewMs);
    return client;
  }

  it('keeps a candle that may still be open for later, and loses neither it nor the next one', async () => {
    // The offset is measured exactly at init; then the client clock gains 30 ms on the exchange.
    const clock = new FakeClock(exchangeNow);
    const client = new BinanceRestClient({ baseUrl: sim.url, http, clock, metrics: new PromMetrics({ defaults: false }), log: pino({ level: 'silent' }) });
    await client.init('BTCUSDT');
    await clock.advance(30);
    assert.equal(client.serverNow(), T0 + 1_010, 'the estimate is past the close of the candle of T0, still open on the exchange');

    const seq = new RecordSequence(series, range, T0 - 3 * second - 1);
    const filler = new GapFiller({ series, range, sequence: seq, clock, retry: defaultPolicies.liveGapFill });
    const handed: KeyedRecord[] = [];
    filler.request('reconnect');
    await filler.step(client, false, (r) => handed.push(r), () => undefined);
    assert.ok(seq.lastKey !== null && seq.lastKey < T0, `REST moved past the open candle of T0, to T0+${(seq.lastKey ?? 0) - T0}`);
    assert.deepEqual(handed.map((r) => r.key - T0), [-3000, -2000, -1000]);

    // Both candles close on the exchange and arrive live: they are handed on, with their final values.
    exchangeNow = T0 + 2_100;
    await clock.advance(1_120);
    const final = expectedKlines('BTCUSDT', '1s', T0, T0 + 2 * second, { nowMs: exchangeNow });
    assert.equal(final.length, 2);
    for (const row of final) seq.hold(klineEvent(row));
    await filler.step(client, false, (r) => handed.push(r), () => undefined);
    assert.deepEqual(handed.map((r) => r.key - T0), [-3000, -2000, -1000, 0, 1000]);
    assert.deepEqual(handed.slice(3).map((r) => r.record), final.map((row) => candleFromKline(row, 'BTCUSDT', '1s')));
  });

  it('takes a candle closed less than the margin ago when the exchange already serves the next one', async () => {
    exchangeNow = T0 + 5_020;
    const client = await clientAt(exchangeNow, 0);
    // The candle of T0+4s closed 21 ms ago; the one of T0+5s is open.
    const page = await series.fetchAfter(client, T0 + 2 * second - 1, {});
    assert.deepEqual(page.records.map((r) => r.key - T0), [2000, 3000, 4000]);
    assert.equal(page.coveredTo, T0 + 5 * second - 1);
    assert.equal(page.more, false);
  });

  it('covers no time the exchange may not have reached: the next candle may open there', async () => {
    // The candle of T0+20s is missing (maintenance); the exchange is 10 ms short of T0+21s, the estimate 20 ms past it.
    exchangeNow = T0 + 20_990;
    const client = await clientAt(exchangeNow, 30);
    const page = await series.fetchAfter(client, T0 + 18 * second - 1, {});
    assert.deepEqual(page.records.map((r) => r.key - T0), [18_000, 19_000]);
    assert.ok(page.coveredTo < T0 + 21 * second, `covered to T0+${page.coveredTo - T0}: the candle of T0+21s would be dropped as a duplicate`);
    const seq = new RecordSequence(series, range, T0 + 19 * second);
    seq.coveredTo(page.coveredTo);
    exchangeNow = T0 + 22_000;
    const [next] = expectedKlines('BTCUSDT', '1s', T0 + 21 * second, T0 + 22 * second, { nowMs: exchangeNow, holes });
    assert.ok(next);
    seq.hold(klineEvent(next));
    const handed: number[] = [];
    seq.drain(10, (r) => handed.push(r.key - T0));
    assert.deepEqual(handed, [21_000]);
  });
});
