import type { Bus, OutgoingMessage } from '../../actors/index.ts';
import type { ReplayMessageFormat, SeriesRecord } from '../../protocol/index.ts';
import type { ReplaySink } from './replay-sink.ts';

/** Records in one `batch` message at most, as a loader's page. */
export const REPLAY_BATCH_RECORDS = 1_000;

/**
 * Messages of records in replay order, keyed by symbol. `record`: one JSON record per message, as
 * data topics carry them. `batch`: consecutive records of one symbol (at most
 * {@link REPLAY_BATCH_RECORDS}) as one JSON array, with headers `sf-format: batch` and `sf-count`;
 * a change of symbol starts a new message, so the messages in a row keep the replay order.
 */
export function replayMessages(records: readonly SeriesRecord[], format: ReplayMessageFormat): OutgoingMessage[] {
  if (format === 'record') return records.map((r) => ({ key: r.symbol, value: JSON.stringify(r) }));
  const out: OutgoingMessage[] = [];
  let run: string[] = [];
  let symbol = '';
  const flush = () => {
    if (run.length === 0) return;
    out.push({ key: symbol, value: `[${run.join(',')}]`, headers: { 'sf-format': 'batch', 'sf-count': String(run.length) } });
    run = [];
  };
  for (const r of records) {
    if (r.symbol !== symbol || run.length >= REPLAY_BATCH_RECORDS) {
      flush();
      symbol = r.symbol;
    }
    run.push(JSON.stringify(r));
  }
  flush();
  return out;
}

/**
 * A replay into a bus topic (Kafka when configured, the embedded bus otherwise). A topic the replay
 * creates has one partition, so the replay order holds across symbols; an existing topic is used as
 * it is (with several partitions the order holds per symbol).
 */
export class BusReplaySink implements ReplaySink {
  readonly #bus: Bus;
  readonly #topic: string;
  readonly #format: ReplayMessageFormat;

  constructor(bus: Bus, topic: string, format: ReplayMessageFormat) {
    this.#bus = bus;
    this.#topic = topic;
    this.#format = format;
  }

  where(): { readonly topic: string } {
    return { topic: this.#topic };
  }

  async open(): Promise<void> {
    await this.#bus.ensureTopics([{ name: this.#topic, partitions: 1 }]);
  }

  send(records: readonly SeriesRecord[]): Promise<void> {
    return this.#bus.produce(this.#topic, replayMessages(records, this.#format));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
