import type { BusMessage, OutgoingMessage } from '../../actors/ports/index.ts';

/** At most this many messages share one stored batch: a consumer that commits mid-batch re-reads at most this much. */
export const MAX_BATCH_RECORDS = 1000;

/**
 * The embedded bus's unit of storage, as Kafka's record batch is Kafka's: consecutive messages of one
 * partition written as one row. Values are stored back to back in one text with their lengths beside
 * them, so writing and reading a batch is one native call and one string, not one per message.
 */
export interface EncodedBatch {
  /** `"k"` when every message has key `k`, `null` when none has one, else a JSON array of the keys. */
  readonly keys: string;
  /** Each value's length in UTF-16 code units, as little-endian uint32. */
  readonly lengths: Uint8Array;
  readonly payload: string;
}

export function encodeBatch(messages: readonly OutgoingMessage[]): EncodedBatch {
  const lengths = new DataView(new ArrayBuffer(messages.length * 4));
  const values = new Array<string>(messages.length);
  const first = messages[0]?.key ?? null;
  let oneKey = true;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as OutgoingMessage;
    values[i] = m.value;
    lengths.setUint32(i * 4, m.value.length, true);
    if (m.key !== first) oneKey = false;
  }
  return {
    keys: JSON.stringify(oneKey ? first : messages.map((m) => m.key)),
    lengths: new Uint8Array(lengths.buffer),
    payload: values.join(''),
  };
}

export interface StoredBatch extends EncodedBatch {
  readonly base_offset: number;
  readonly ts: number;
}

/** The batch's messages from offset `from` on, at most `max` of them. */
export function decodeBatch(topic: string, partition: number, batch: StoredBatch, from: number, max: number): BusMessage[] {
  const lengths = new DataView(batch.lengths.buffer, batch.lengths.byteOffset, batch.lengths.byteLength);
  const count = lengths.byteLength / 4;
  const keys = JSON.parse(batch.keys) as string | null | Array<string | null>;
  const out: BusMessage[] = [];
  let at = 0;
  for (let i = 0; i < count && out.length < max; i++) {
    const length = lengths.getUint32(i * 4, true);
    const offset = batch.base_offset + i;
    if (offset >= from) {
      out.push({
        topic,
        partition,
        offset: String(offset),
        key: Array.isArray(keys) ? (keys[i] ?? null) : keys,
        value: batch.payload.slice(at, at + length),
        timestamp: batch.ts,
      });
    }
    at += length;
  }
  return out;
}
