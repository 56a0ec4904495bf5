import { failTestOnError } from './fail-test-on-error.ts';
import type { EndOfStream } from '../../src/protocol/index.ts';
import type { Bus, Subscription } from '../../src/actors/index.ts';

export interface DataRecording<R> {
  /** Every record on the topic, duplicates included, in topic order per partition. */
  readonly records: R[];
  /** The end-of-stream marker, once it came. */
  marker(): EndOfStream | undefined;
  readonly subscription: Subscription;
}

/** Records a workflow's data topic from its beginning: the records apart from the end marker. */
export async function recordDataTopic<R>(bus: Bus, topic: string): Promise<DataRecording<R>> {
  const records: R[] = [];
  let marker: EndOfStream | undefined;
  const subscription = await bus.subscribe({
    groupId: `data-recorder-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    topics: [topic],
    fromBeginning: true,
    handler: (batch) => {
      for (const m of batch) {
        const value = JSON.parse(m.value) as R | EndOfStream;
        if (typeof value === 'object' && value !== null && 'end_of_stream' in value) marker = value;
        else records.push(value);
      }
      return Promise.resolve();
    },
    onError: failTestOnError('the data recorder'),
  });
  return { records, marker: () => marker, subscription };
}
