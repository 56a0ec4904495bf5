import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { AggTrade } from '../../src/protocol/index.ts';
import { KafkaBus } from '../../src/system/bus/index.ts';
import { systemClock } from '../../src/system/observability/index.ts';
import { BusReplaySink, REPLAY_CHUNK_RECORDS, replayMessages, ReplayRun } from '../../src/system/replay/index.ts';
import { EmbeddedStore } from '../../src/system/store/index.ts';
import { releaseKafka, requireKafka, uniqueName } from '../helpers/kafka-broker.ts';
import type { BenchLine, BenchRatio } from './bench-report.ts';

const T0 = Date.parse('2024-08-01T00:00:00Z');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
/** Aggregate trades per symbol: a busy day's hour or two. */
const PER_SYMBOL = 100_000;
const ROUNDS = 2;

/** Two symbols' trades in the store, several sharing a millisecond (ties by symbol, then id). */
async function seed(store: EmbeddedStore): Promise<void> {
  for (const [s, symbol] of SYMBOLS.entries()) {
    const collection = `${symbol.toLowerCase()}_api_trades_2024_08_01`;
    await store.ensureCollection(collection, { sortField: 'timestamp' });
    for (let from = 0; from < PER_SYMBOL; from += 10_000) {
      const docs = Array.from({ length: 10_000 }, (_, i) => {
        const id = from + i;
        const t: AggTrade = {
          trade_id: id, price: `${(60_000 + s * 1000 + (id % 997) / 100).toFixed(8)}`, quantity: `${((id % 131) / 1000 + 0.001).toFixed(8)}`,
          first_trade_id: id * 2, last_trade_id: id * 2 + 1, timestamp: T0 + Math.floor(id / 3) * 7 + s, is_buyer_maker: id % 2 === 0, is_best_match: true, symbol,
        };
        return { _key: `${symbol}_${id}`, ...t };
      });
      await store.upsert(collection, docs);
    }
  }
}

/** The same records, serialised beforehand, through a raw kafkajs producer with the bus's settings (acks=all, idempotent, one request in flight). */
async function rawProducer(bootstrap: string, messages: ReturnType<typeof replayMessages>): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: uniqueName('bench-replay-raw'), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topic = uniqueName('bench-replay-raw');
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const started = performance.now();
    for (let i = 0; i < messages.length; i += REPLAY_CHUNK_RECORDS) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + REPLAY_CHUNK_RECORDS).map((m) => ({ key: m.key, value: m.value })) });
    }
    return messages.length / ((performance.now() - started) / 1000);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** `replay --speed max` into a fresh topic: the hole check, the store read and merge, serialisation and produce, all timed. */
async function replay(bootstrap: string, store: EmbeddedStore): Promise<number> {
  const bus = new KafkaBus({ brokers: [bootstrap], clientId: uniqueName('bench-replay') });
  const topic = uniqueName('bench-replay');
  try {
    const started = performance.now();
    const state = await new ReplayRun(
      { symbols: SYMBOLS, type: 'api_trades', fromMs: T0, toMs: T0 + 86_400_000, speed: 'max' },
      { store, clock: systemClock, sink: new BusReplaySink(bus, topic, 'record') },
    ).run();
    const seconds = (performance.now() - started) / 1000;
    if (state.status !== 'completed' || state.records !== SYMBOLS.length * PER_SYMBOL) throw new Error(`replay ${state.status} after ${state.records} records: ${state.error?.message ?? ''}`);
    return state.records / seconds;
  } finally {
    await bus.deleteTopics([topic]).catch(() => undefined);
    await bus.close();
  }
}

/**
 * Replay into Kafka at `--speed max` against a raw kafkajs producer sending the same records (already
 * read and serialised) with the same settings, side by side on one broker, best of {@link ROUNDS}
 * each, alternating.
 */
export async function benchReplay(): Promise<{ lines: BenchLine[]; ratios: BenchRatio[] }> {
  const bootstrap = await requireKafka();
  const dir = await mkdtemp(join(tmpdir(), 'sf-bench-replay-'));
  const store = new EmbeddedStore(dir);
  try {
    await seed(store);
    const sink = { records: [] as AggTrade[] };
    // The raw producer's input: the replay's own records in its order, read once into memory.
    const collect = new ReplayRun(
      { symbols: SYMBOLS, type: 'api_trades', fromMs: T0, toMs: T0 + 86_400_000 },
      {
        store, clock: systemClock,
        sink: { where: () => ({ topic: 'memory' }), open: () => Promise.resolve(), close: () => Promise.resolve(), send: (r) => Promise.resolve(void sink.records.push(...(r as AggTrade[]))) },
      },
    );
    const readStarted = performance.now();
    await collect.run();
    // The ceiling on this machine: the hole check and the replay each read every stored document (SQLite row, JSON.parse) once.
    const readAlone = sink.records.length / ((performance.now() - readStarted) / 1000);
    const messages = replayMessages(sink.records, 'record');
    const bytes = Math.round(messages.reduce((n, m) => n + m.value.length, 0) / messages.length);
    let raw = 0;
    let ours = 0;
    for (let round = 0; round < ROUNDS; round++) {
      raw = Math.max(raw, await rawProducer(bootstrap, messages));
      ours = Math.max(ours, await replay(bootstrap, store));
    }
    return {
      lines: [
        { name: `raw kafkajs producer, the same ${messages.length.toLocaleString('en-US')} records pre-serialised (${bytes} B, acks=all, idempotent, ${REPLAY_CHUNK_RECORDS} per send)`, value: Math.round(raw), unit: 'msg/s' },
        { name: 'replay --speed max into Kafka (hole check, store read and merge of 2 symbols, produce)', value: Math.round(ours), unit: 'msg/s' },
        { name: 'the same replay into memory (hole check, store read and merge: no Kafka)', value: Math.round(readAlone), unit: 'records/s' },
      ],
      ratios: [
        { name: 'replay / raw kafkajs producer', value: ours / raw, target: '>= 0.8', met: ours / raw >= 0.8 },
        { name: 'replay into memory / raw kafkajs producer (the store side alone)', value: readAlone / raw, target: '(reported)', met: true },
      ],
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
    await releaseKafka();
  }
}
