import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CANDLE_COLUMNS,
  Candle,
  DataMessage,
  TimeRangeText,
  isEndOfStream,
  parseInstant,
  parseStreamType,
  protocolJsonSchemas,
  shortIdOf,
  workflowNames,
} from '../../src/protocol/index.ts';
import type { EndOfStream } from '../../src/protocol/index.ts';

const AUG_1 = Date.UTC(2024, 7, 1);

describe('parseInstant', () => {
  it('reads a date as UTC midnight', () => {
    assert.equal(parseInstant('2024-08-01'), AUG_1);
    assert.equal(parseInstant('  2024-08-01 '), AUG_1, 'surrounding blanks ignored');
    assert.equal(parseInstant('2024-02-29'), Date.UTC(2024, 1, 29), 'leap day');
  });

  it('reads ISO instants without a zone as UTC', () => {
    assert.equal(parseInstant('2024-08-01T12:00'), AUG_1 + 12 * 3_600_000);
    assert.equal(parseInstant('2024-08-01T12:00:30'), AUG_1 + 12 * 3_600_000 + 30_000);
    assert.equal(parseInstant('2024-08-01T12:00:30.250'), AUG_1 + 12 * 3_600_000 + 30_250);
  });

  it('reads ISO instants with a zone', () => {
    assert.equal(parseInstant('2024-08-01T12:00:00Z'), AUG_1 + 12 * 3_600_000);
    assert.equal(parseInstant('2024-08-01T14:00:00+02:00'), AUG_1 + 12 * 3_600_000);
    assert.equal(parseInstant('2024-08-01T00:30:00+02:00'), AUG_1 - 90 * 60_000, 'a zone may move the instant to the day before');
    assert.equal(parseInstant('2024-08-01T12:00:00.123456789Z'), AUG_1 + 12 * 3_600_000 + 123);
  });

  it('rejects dates that do not exist', () => {
    for (const text of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-02-30T00:00', '2024-08-01T25:00']) {
      assert.equal(parseInstant(text), undefined, text);
    }
  });

  it('rejects dates that do not exist when a zone is given', () => {
    for (const text of ['2024-02-30T00:00:00Z', '2024-02-31T10:00+02:00', '2023-02-29T00:00:00Z']) {
      assert.equal(parseInstant(text), undefined, text);
    }
  });

  it('rejects text that is not a date', () => {
    for (const text of ['', 'yesterday', '2024-8-1', '20240801', '2024/08/01', '1722470400000', '2024-08-01 12:00']) {
      assert.equal(parseInstant(text), undefined, JSON.stringify(text));
    }
  });
});

describe('TimeRangeText', () => {
  it('reads YYYY-MM-DD:YYYY-MM-DD as the half-open UTC range [from, to)', () => {
    assert.deepEqual(TimeRangeText.parse('2024-08-01:2024-08-03'), { fromMs: AUG_1, toMs: Date.UTC(2024, 7, 3) });
    assert.deepEqual(TimeRangeText.parse('2024-08-01:2024-08-02'), { fromMs: AUG_1, toMs: AUG_1 + 86_400_000 }, 'one day');
  });

  it('rejects an empty or reversed range with a message saying so', () => {
    for (const text of ['2024-08-01:2024-08-01', '2024-08-03:2024-08-01']) {
      const result = TimeRangeText.safeParse(text);
      assert.equal(result.success, false, text);
      assert.match(result.error?.issues[0]?.message ?? '', /empty: the start must be before the end/);
    }
  });

  it('rejects malformed ranges and impossible dates, naming the accepted form', () => {
    for (const text of ['2024-08-01', '2024-08-01:', '2024-08-01..2024-08-02', '2024-02-30:2024-03-02']) {
      const result = TimeRangeText.safeParse(text);
      assert.equal(result.success, false, text);
      assert.match(result.error?.issues[0]?.message ?? '', /YYYY-MM-DD:YYYY-MM-DD/);
    }
  });
});

describe('parseStreamType', () => {
  const binanceIntervals = ['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'];

  it('accepts <api|ws|archive>_candles_<interval> for every Binance interval', () => {
    for (const source of ['api', 'ws', 'archive'] as const) {
      for (const interval of binanceIntervals) {
        assert.deepEqual(parseStreamType(`${source}_candles_${interval}`), { source, record: 'candle', interval });
      }
    }
  });

  it('accepts the trade, live and depth types with the record each produces', () => {
    assert.deepEqual(parseStreamType('api_trades'), { source: 'api', record: 'agg_trade' });
    assert.deepEqual(parseStreamType('archive_trades'), { source: 'archive', record: 'agg_trade' });
    assert.deepEqual(parseStreamType('ws_trades'), { source: 'ws', record: 'trade' });
    assert.deepEqual(parseStreamType('ws_aggtrades'), { source: 'ws', record: 'agg_trade' });
    assert.deepEqual(parseStreamType('ws_depth'), { source: 'ws', record: 'depth' });
  });

  it('rejects unknown types and intervals', () => {
    for (const type of ['api_candles_2m', 'api_candles_1mo', 'api_candles_', 'api_candles', 'candles_1m', 'api_trades_1m', 'API_CANDLES_1m', 'api_candles_1m ', '', 'ws_depth_5', 'archive_depth', 'rest_candles_1m', 'ws_candles_1mo']) {
      assert.equal(parseStreamType(type), undefined, JSON.stringify(type));
    }
  });
});

describe('workflowNames', () => {
  it('names the queue wf-<symbol>-<type>-<YYYYMMDD>-<6 hex> and the collection <symbol>_<type>_<YYYY_MM_DD>', () => {
    const names = workflowNames('BTCUSDT', 'api_candles_5m', AUG_1 + 13 * 3_600_000);
    assert.match(names.queueId, /^wf-btcusdt-api_candles_5m-20240801-[0-9a-f]{6}$/);
    assert.equal(names.collectionName, 'btcusdt_api_candles_5m_2024_08_01');
    assert.equal(names.dataTopic, `${names.queueId}-data`);
    assert.equal(names.deadLetterTopic, `${names.queueId}-data-dlq`);
    assert.equal(shortIdOf(names.queueId), names.shortId);
  });

  it('uses a given short id and draws a new one otherwise', () => {
    assert.equal(workflowNames('ETHBTC', 'api_candles_1h', AUG_1, 'a1b2c3').queueId, 'wf-ethbtc-api_candles_1h-20240801-a1b2c3');
    const ids = new Set(Array.from({ length: 20 }, () => workflowNames('BTCUSDT', 'api_candles_5m', AUG_1).shortId));
    assert.ok(ids.size > 1, 'short ids are random');
  });
});

describe('Candle', () => {
  const candle = {
    open_time: AUG_1,
    open: '64000.01000000',
    high: '64100.00000000',
    low: '63900.50000000',
    close: '64050.12345678',
    volume: '123456789012345678901234.123456789012',
    close_time: AUG_1 + 299_999,
    quote_asset_volume: '7912345678901234567890.00000001',
    number_of_trades: 1234,
    taker_buy_base_asset_volume: '0.000000000000000000012345678901',
    taker_buy_quote_asset_volume: '-0.5',
    symbol: 'BTCUSDT',
    interval: '5m',
  };

  it('keeps decimal strings exactly as written, through JSON too', () => {
    const parsed = Candle.parse(JSON.parse(JSON.stringify(candle)));
    assert.deepEqual(parsed, candle);
    assert.equal(JSON.stringify(parsed), JSON.stringify(candle));
  });

  it('rejects numbers and malformed text where a decimal belongs', () => {
    for (const [field, value] of [['open', 64000.01], ['volume', 1e21], ['close', '1e5'], ['high', ''], ['low', ' 1.0'], ['volume', '1.'], ['open', '0x10']] as const) {
      const result = Candle.safeParse({ ...candle, [field]: value });
      assert.equal(result.success, false, `${field}: ${JSON.stringify(value)}`);
      assert.deepEqual(result.error?.issues[0]?.path, [field]);
    }
  });

  it('lists the CSV columns in the original order', () => {
    assert.deepEqual([...CANDLE_COLUMNS], Object.keys(candle).slice(0, 11));
  });
});

describe('DataMessage', () => {
  const candle = Candle.parse({
    open_time: AUG_1,
    open: '1.0',
    high: '1.0',
    low: '1.0',
    close: '1.0',
    volume: '1.0',
    close_time: AUG_1 + 59_999,
    quote_asset_volume: '1.0',
    number_of_trades: 1,
    taker_buy_base_asset_volume: '1.0',
    taker_buy_quote_asset_volume: '1.0',
    symbol: 'BTCUSDT',
    interval: '1m',
  });
  const end: EndOfStream = { end_of_stream: true, queue_id: 'wf-btcusdt-api_candles_1m-20240801-a1b2c3', records: 1440, timestamp: AUG_1 };

  it('tells the end-of-stream marker from a candle', () => {
    const parsedEnd = DataMessage.parse(end);
    const parsedCandle = DataMessage.parse(candle);
    assert.equal(isEndOfStream(parsedEnd), true);
    assert.equal(isEndOfStream(parsedCandle), false);
    assert.deepEqual(parsedEnd, end);
    assert.deepEqual(parsedCandle, candle);
  });

  it('rejects a marker that is not true, and anything that is neither', () => {
    assert.equal(DataMessage.safeParse({ ...end, end_of_stream: false }).success, false);
    assert.equal(DataMessage.safeParse({ ...end, records: -1 }).success, false);
    assert.equal(DataMessage.safeParse({ queue_id: end.queue_id }).success, false);
  });
});

describe('protocolJsonSchemas', () => {
  const messages = [
    'Command',
    'StartCommand',
    'StopCommand',
    'PingCommand',
    'TelemetryEvent',
    'Candle',
    'KlineRow',
    'EndOfStream',
    'DataMessage',
    'DeadLetter',
    'Workflow',
    'QueueListResponse',
    'ErrorBody',
    'GraphSnapshot',
    'GraphSnapshotEnd',
    'GraphFeaturesMessage',
    'GraphBody',
  ];

  it('gives a draft 2020-12 JSON Schema for every wire message', () => {
    const schemas = protocolJsonSchemas();
    assert.deepEqual(Object.keys(schemas).sort(), [...messages].sort());
    for (const [name, schema] of Object.entries(schemas)) {
      assert.equal(typeof schema, 'object', name);
      const s = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
      assert.equal(s['$schema'], 'https://json-schema.org/draft/2020-12/schema', name);
      assert.ok('type' in s || 'anyOf' in s || 'oneOf' in s, `${name} describes a shape`);
    }
  });

  it('describes candle decimals as patterned strings and unions as alternatives', () => {
    const schemas = protocolJsonSchemas() as Record<string, { properties?: Record<string, { type?: string; pattern?: string }>; required?: string[]; anyOf?: unknown[]; oneOf?: unknown[] }>;
    const candle = schemas['Candle'];
    assert.equal(candle?.properties?.['volume']?.type, 'string');
    assert.ok(candle?.properties?.['volume']?.pattern, 'volume has a pattern');
    assert.equal(candle?.properties?.['open_time']?.type, 'integer');
    for (const column of CANDLE_COLUMNS) assert.ok(candle?.required?.includes(column), `${column} required`);
    assert.equal(schemas['DataMessage']?.anyOf?.length, 2);
    assert.equal(schemas['Command']?.oneOf?.length, 3);
  });
});
