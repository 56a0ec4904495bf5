// Replay end to end: a range backfilled from the exchange simulator, replayed by the CLI into fresh
// Kafka topics and read back by a foreign client (Python aiokafka): the store's records in the
// replay order, twice byte for byte, and as batches; and served on a WebSocket to a plain `ws`
// client in Binance's combined-stream frames.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { AggTradeEvent } from '../../src/protocol/index.ts';
import type { AggTrade, SeriesRecord } from '../../src/protocol/index.ts';
import { startExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import type { ExchangeSimulator } from '../../src/system/exchange-simulator/index.ts';
import { querySeries } from '../../src/system/query/index.ts';
import { REPLAY_CHUNK_RECORDS } from '../../src/system/replay/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { releaseKafka, requireKafka, uniqueName } from '../helpers/kafka-broker.ts';
import { ensurePythonPackage } from '../helpers/python-env.ts';
import { CLI, runCli } from '../helpers/run-cli.ts';
import { makeDataDir, startTestRuntime } from '../helpers/test-runtime.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { rm } from 'node:fs/promises';

const FROM = '2024-08-01T00:00:00Z';
const TO = '2024-08-01T00:20:00Z';
const SYMBOLS = ['ETHUSDT', 'BTCUSDT'];

interface ReadMessage {
  readonly partition: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** The stored trades of every symbol in the replay order, as the test itself sorts them: time, symbol, id. */
async function storedInReplayOrder(dataDir: string): Promise<AggTrade[]> {
  const store = new EmbeddedStore(dataDir);
  try {
    const all: AggTrade[] = [];
    for (const symbol of SYMBOLS) {
      const { records } = await querySeries(store, { symbol, type: 'api_trades', fromMs: Date.parse(FROM), toMs: Date.parse(TO) });
      all.push(...(records as AggTrade[]));
    }
    return all.sort((a, b) => a.timestamp - b.timestamp || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) || a.trade_id - b.trade_id);
  } finally {
    await store.close();
  }
}

function readTopic(python: string, bootstrap: string, topic: string, count: number): Promise<ReadMessage[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['test/interop/aiokafka_read_topic.py', bootstrap, topic, String(count), '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`aiokafka reader exited ${String(code)}: ${err}`));
      else resolve(out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ReadMessage));
    });
  });
}

describe('replay', { timeout: 600_000 }, () => {
  let bootstrap: string;
  let sim: ExchangeSimulator;
  let dataDir: string;
  let expected: AggTrade[];
  before(async () => {
    bootstrap = await requireKafka();
    sim = await startExchangeSimulator({ latencyMs: 5 });
    dataDir = await makeDataDir();
    // A real backfill of both symbols into the embedded store.
    const rt = await startTestRuntime(sim.url, { dataDir });
    try {
      for (const symbol of SYMBOLS) {
        const wf = await rt.manager.create({ symbol, type: 'api_trades', range: { fromMs: Date.parse(FROM), toMs: Date.parse(TO) } });
        const done = await rt.settle(wf.queue_id, 120_000);
        assert.equal(done.status, 'completed', JSON.stringify(done.error));
      }
    } finally {
      await rt.close();
    }
    expected = await storedInReplayOrder(dataDir);
    assert.ok(expected.length > 100, `trades stored: ${expected.length}`);
    assert.deepEqual(new Set(expected.map((t) => t.symbol)), new Set(SYMBOLS));
  });
  after(async () => {
    await sim.close();
    await releaseKafka();
    await rm(dataDir, { recursive: true, force: true });
  });

  const replay = (...sink: string[]) =>
    runCli(['replay', '--symbols', SYMBOLS.join(','), '--type', 'api_trades', '--from', FROM, '--to', TO, ...sink, '--data-dir', dataDir, '--no-progress'], { KAFKA_BOOTSTRAP_SERVERS: bootstrap }, 120_000);

  it('replays into Kafka what the store holds, in the replay order, twice byte for byte (read by aiokafka)', async () => {
    const python = await ensurePythonPackage('aiokafka==0.14.0');
    const topics = [uniqueName('replay-a'), uniqueName('replay-b')];
    const runs: ReadMessage[][] = [];
    for (const topic of topics) {
      const r = await replay('--topic', topic);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`replayed ${expected.length} records of ${SYMBOLS.join(',')} api_trades into topic ${topic}`));
      assert.match(r.stderr, /no holes in the stored range/);
      runs.push(await readTopic(python, bootstrap, topic, expected.length));
    }
    const [first, second] = runs as [ReadMessage[], ReadMessage[]];
    assert.equal(first.length, expected.length);
    assert.deepEqual(new Set(first.map((m) => m.partition)), new Set([0]), 'one partition: one order for all symbols');
    assert.deepEqual(first.map((m) => m.key), expected.map((t) => t.symbol));
    assert.deepEqual(first.map((m) => JSON.parse(m.value) as SeriesRecord), expected);
    assert.equal(second.map((m) => `${m.key ?? ''}\t${m.value}`).join('\n'), first.map((m) => `${m.key ?? ''}\t${m.value}`).join('\n'));
  });

  it('replays as batches: JSON arrays of one symbol with sf-format and sf-count, the same records in the same order', async () => {
    const python = await ensurePythonPackage('aiokafka==0.14.0');
    const topic = uniqueName('replay-batch');
    const r = await replay('--topic', topic, '--message-format', 'batch');
    assert.equal(r.code, 0, r.stderr);
    const messages = await readTopic(python, bootstrap, topic, expected.length);
    // A batch ends where the symbol changes (or a chunk of the replay does): never more messages than records, at least one per run of a symbol.
    const runs = expected.filter((t, i) => i === 0 || expected[i - 1]?.symbol !== t.symbol).length;
    const chunks = Math.ceil(expected.length / REPLAY_CHUNK_RECORDS);
    assert.ok(messages.length >= runs && messages.length <= runs + chunks, `${messages.length} batches for ${runs} runs of ${expected.length} records`);
    const records: AggTrade[] = [];
    for (const m of messages) {
      const batch = JSON.parse(m.value) as AggTrade[];
      assert.equal(m.headers['sf-format'], 'batch');
      assert.equal(m.headers['sf-count'], String(batch.length));
      assert.ok(batch.every((t) => t.symbol === m.key));
      records.push(...batch);
    }
    assert.deepEqual(records, expected);
  });

  it('serves a plain ws client Binance combined-stream frames in the replay order', async () => {
    const child = spawn(process.execPath, [CLI, 'replay', '--symbols', SYMBOLS.join(','), '--type', 'api_trades', '--from', FROM, '--to', TO, '--ws-port', '0', '--data-dir', dataDir, '--no-progress'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const url = await waitFor('the replay to listen', () => /serving on (ws:\/\/\S+);/.exec(stderr)?.[1], 30_000);
      assert.match(url, /\/stream\?streams=ethusdt@aggTrade\/btcusdt@aggTrade$/);
      const frames: string[] = [];
      const client = new WebSocket(url);
      client.on('message', (data: Buffer) => frames.push(data.toString()));
      const closed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code)));
      assert.equal(await closed, 1000);
      assert.equal(await exited, 0, stderr);
      assert.equal(frames.length, expected.length);
      for (const [i, text] of frames.entries()) {
        const frame = JSON.parse(text) as { stream: string; data: unknown };
        const t = expected[i] as AggTrade;
        assert.equal(frame.stream, `${t.symbol.toLowerCase()}@aggTrade`);
        const e = AggTradeEvent.parse(frame.data);
        assert.deepEqual([e.s, e.a, e.p, e.q, e.f, e.l, e.T, e.m, e.M], [t.symbol, t.trade_id, t.price, t.quantity, t.first_trade_id, t.last_trade_id, t.timestamp, t.is_buyer_maker, t.is_best_match]);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
