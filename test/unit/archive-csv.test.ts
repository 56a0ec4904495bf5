import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unzipSync } from 'fflate';
import { csvLines, CsvRowError, readAggTradesCsv, readKlinesCsv, toMillis } from '../../src/actors/archive/index.ts';
import { expectedAggTrades, expectedKlines } from '../../src/system/exchange-simulator/index.ts';
import { serveArchive } from '../../src/system/exchange-simulator/archive-server.ts';
import type { ArchiveContext } from '../../src/system/exchange-simulator/archive-server.ts';
import { holesFor } from '../../src/system/exchange-simulator/holes.ts';

const t = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);
const DAY = 86_400_000;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const LISTED = t('2017-01-01');
const NOW = t('2025-03-10') + 12 * 3_600_000;

function context(): ArchiveContext {
  return {
    seed: 3,
    nowMs: NOW,
    listedAtMs: new Map([['BTCUSDT', LISTED]]),
    holes: new Map([['BTCUSDT', holesFor('BTCUSDT', [])]]),
    missing: new Set(),
    corrupt: new Set(),
  };
}

/** The CSV inside a zip the simulator serves. */
function simulatorCsv(path: string): Uint8Array {
  const reply = serveArchive(path, context());
  assert.equal(reply.status, 200, path);
  const [csv] = Object.values(unzipSync(reply.body));
  assert.ok(csv);
  return csv;
}

describe('archive CSV', () => {
  it('normalises microseconds to milliseconds by magnitude', () => {
    assert.equal(toMillis(1_735_689_600_000_000), 1_735_689_600_000);
    assert.equal(toMillis(1_735_689_659_999_999), 1_735_689_659_999, 'floored, so a close time stays in its minute');
    assert.equal(toMillis(1_719_792_059_999), 1_719_792_059_999, 'milliseconds pass through');
    assert.equal(toMillis(0), 0);
    assert.equal(toMillis(99_999_999_999_999), 99_999_999_999_999, 'below 1e14 is milliseconds (until the year 5138)');
  });

  it('splits lines on LF and CRLF, skips blank lines, and cuts chunks only at newlines', () => {
    const text = 'a,1\r\nbb,2\n\nccc,3\r\n\r\nd,4';
    assert.deepEqual([...csvLines(bytes(text))], ['a,1', 'bb,2', 'ccc,3', 'd,4']);
    for (const chunk of [1, 2, 3, 5, 7, 64]) assert.deepEqual([...csvLines(bytes(text), chunk)], ['a,1', 'bb,2', 'ccc,3', 'd,4'], `chunk ${chunk}`);
    assert.deepEqual([...csvLines(new Uint8Array())], []);
  });

  it('reads a millisecond klines file (before 2025) as the REST rows', () => {
    const csv = simulatorCsv('/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-07-04.zip');
    const rows = [...readKlinesCsv(csv, { startMs: t('2024-07-04'), endMs: t('2024-07-05') })];
    assert.equal(rows.length, 1440);
    assert.deepEqual(rows, expectedKlines('BTCUSDT', '1m', t('2024-07-04'), t('2024-07-05'), { seed: 3, nowMs: NOW }));
  });

  it('reads a microsecond klines file (2025 on) as the same millisecond REST rows', () => {
    const csv = simulatorCsv('/data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2025-02.zip');
    assert.match(new TextDecoder().decode(csv.subarray(0, 40)), /^1738368000000000,/, 'the file has microseconds');
    const rows = [...readKlinesCsv(csv, { startMs: t('2025-02-01'), endMs: t('2025-03-01') })];
    assert.equal(rows.length, 28 * 24);
    assert.deepEqual(rows, expectedKlines('BTCUSDT', '1h', t('2025-02-01'), t('2025-03-01'), { seed: 3, nowMs: NOW }));
    assert.equal(rows[0]?.[6], t('2025-02-01') + 3_600_000 - 1);
  });

  it('reads aggTrades files in milliseconds and microseconds, True/False booleans, as the REST rows', () => {
    for (const day of ['2024-12-31', '2025-01-01']) {
      const csv = simulatorCsv(`/data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-${day}.zip`);
      const rows = [...readAggTradesCsv(csv, { startMs: t(day), endMs: t(day) + DAY })];
      const expected = expectedAggTrades('BTCUSDT', t(day), t(day) + DAY, { seed: 3, nowMs: NOW });
      assert.equal(rows.length, expected.length, day);
      // 259,200 rows: compared as text, which deepEqual would take seconds over.
      assert.equal(JSON.stringify(rows), JSON.stringify(expected), day);
      assert.ok(rows.some((r) => r.m) && rows.some((r) => !r.m));
    }
  });

  it('tolerates a header line and CRLF line endings', () => {
    const open = t('2024-07-04');
    const text =
      'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\r\n' +
      `${open},1.00000000,2.00000000,0.50000000,1.50000000,10.00000000,${open + 59_999},15.00000000,7,4.00000000,6.00000000,0\r\n`;
    const rows = [...readKlinesCsv(bytes(text), { startMs: open, endMs: open + DAY })];
    assert.deepEqual(rows, [[open, '1.00000000', '2.00000000', '0.50000000', '1.50000000', '10.00000000', open + 59_999, '15.00000000', 7, '4.00000000', '6.00000000', '0']]);
    const trades = 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match\r\n' + `5,1.5,2,10,12,${open * 1000 + 123},true,TRUE\r\n`;
    assert.deepEqual([...readAggTradesCsv(bytes(trades), { startMs: open, endMs: open + DAY })], [
      { a: 5, p: '1.5', q: '2', f: 10, l: 12, T: open, m: true, M: true },
    ]);
  });

  it('keeps decimals as the exact strings written', () => {
    const open = t('2024-07-04');
    const text = `${open},0.00000123,0.00000124,0.00000122,0.00000123,123456789012345678901.12345678,${open + 59_999},151.85185185,3,1.00000000,0.00000123,0\n`;
    const [row] = [...readKlinesCsv(bytes(text), { startMs: open, endMs: open + DAY })];
    assert.equal(row?.[5], '123456789012345678901.12345678');
  });

  it('skips a row repeating the one before it exactly, telling its line; rejects rows out of order and repeats with other values', () => {
    const open = t('2024-07-04');
    const bounds = { startMs: open, endMs: open + DAY };
    const kline = (minute: number, close = '1.5', micros = false) => {
      const at = open + minute * 60_000;
      const time = (ms: number) => (micros ? ms * 1000 + (ms === at ? 0 : 999) : ms);
      return `${time(at)},1,2,0.5,${close},10,${time(at + 59_999)},15,7,4,6,0`;
    };
    const repeats: number[] = [];
    const text = [kline(0), kline(0), kline(1), kline(1, '1.5', true), kline(1), kline(2)].join('\n');
    const rows = [...readKlinesCsv(bytes(text), bounds, (line) => repeats.push(line))];
    assert.deepEqual(rows.map((r) => r[0]), [open, open + 60_000, open + 120_000], 'each open time once');
    assert.deepEqual(repeats, [2, 4, 5], 'the same row in microseconds is the same row');
    assert.equal([...readKlinesCsv(bytes(text), bounds)].length, 3, 'skipped without a listener too');
    const bad: Array<[string, RegExp]> = [
      [[kline(0), kline(1), kline(1, '1.6')].join('\n'), /line 3: open time \d+ repeats the previous row's with other values/],
      [[kline(0), kline(2), kline(1)].join('\n'), /line 3: open time \d+ is before the previous row's \d+: rows are out of order/],
      [[kline(0), kline(1), kline(0)].join('\n'), /line 3: .*out of order/],
    ];
    for (const [csv, error] of bad) {
      assert.throws(() => [...readKlinesCsv(bytes(csv), bounds)], (err: unknown) => err instanceof CsvRowError && error.test(err.message), csv);
    }

    const trade = (a: number, q = '2') => `${a},1.5,${q},${a * 10},${a * 10 + 1},${open + a},True,True`;
    const tradeRepeats: number[] = [];
    const trades = [...readAggTradesCsv(bytes([trade(5), trade(6), trade(6), trade(6), trade(8)].join('\n')), bounds, (line) => tradeRepeats.push(line))];
    assert.deepEqual(trades.map((r) => r.a), [5, 6, 8]);
    assert.deepEqual(tradeRepeats, [3, 4]);
    assert.throws(() => [...readAggTradesCsv(bytes([trade(5), trade(6), trade(6, '3')].join('\n')), bounds)], /line 3: aggregate trade id 6 repeats the previous row's with other values/);
    assert.throws(() => [...readAggTradesCsv(bytes([trade(6), trade(5)].join('\n')), bounds)], /line 2: aggregate trade id 5 is before the previous row's 6/);
  });

  it('rejects malformed rows and rows outside the file period, naming the line', () => {
    const open = t('2024-07-04');
    const bounds = { startMs: open, endMs: open + DAY };
    const good = `${open},1,2,0.5,1.5,10,${open + 59_999},15,7,4,6,0`;
    const cases: Array<[string, RegExp]> = [
      [`${good}\n${open + 60_000},1,2,0.5,1.5,10,${open + 119_999},15,7,4,6`, /^$/],
      [`${good}\n${open},1,2,0.5,x,10,${open + 59_999},15,7,4,6,0`, /line 2: close "x" is not a decimal/],
      [`${good}\n${open},1,2,0.5`, /line 2: expected 12 kline columns, found 4/],
      [`${open + DAY},1,2,0.5,1.5,10,${open + DAY + 59_999},15,7,4,6,0`, /line 1: open time .* is outside the file's period/],
      [`${(open - 60_000) * 1000},1,2,0.5,1.5,10,${(open - 1) * 1000 + 999},15,7,4,6,0`, /outside the file's period/],
      [`${good}\nopen_time,open`, /line 2: expected 12 kline columns/],
      [`${open},1,2,0.5,1.5,10,${open + 59_999},15,1.5,4,6,0`, /number of trades "1.5" is not an integer/],
    ];
    for (const [text, error] of cases) {
      const read = () => [...readKlinesCsv(bytes(text), bounds)];
      if (error.source === '^$') assert.equal(read().length, 2, 'an 11-column row (no ignore column) is accepted');
      else assert.throws(read, (err: unknown) => err instanceof CsvRowError && error.test(err.message), text);
    }
    assert.throws(
      () => [...readAggTradesCsv(bytes(`1,1.5,2,10,12,${open},maybe,True`), bounds)],
      /line 1: is buyer maker "maybe" is not True or False/,
    );
  });
});
