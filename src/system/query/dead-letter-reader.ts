import type { Logger } from 'pino';
import { DeadLetter, ErrorCodes, newShortId, parseJsonOrUndefined, StreamForgeError } from '../../protocol/index.ts';
import type { Bus, BusMessage, Clock } from '../../actors/index.ts';

export interface DeadLetterReadOptions {
  /** Dead letters to return, oldest first. */
  readonly limit: number;
  /** A read still short of the topic's end after this long fails (retriable). @defaultValue 10000 */
  readonly timeoutMs?: number;
  /** How often the read checks whether it reached the topic's end. @defaultValue 25 */
  readonly pollMs?: number;
}

export interface DeadLetterPage {
  readonly deadLetters: DeadLetter[];
  /** The topic holds more than `limit`. */
  readonly more: boolean;
}

/**
 * The first `limit` dead letters of a dead-letter topic, without moving any stage's offsets: the bus
 * port reads through consumer groups only, so this reads in a group of its own from the beginning,
 * until it holds `limit` or its lag is zero (the topic's end, as the bus knows it), then deletes the
 * group. A message that is not a {@link DeadLetter} is skipped and logged.
 */
export async function readDeadLetters(bus: Bus, clock: Clock, log: Logger, topic: string, options: DeadLetterReadOptions): Promise<DeadLetterPage> {
  const groupId = `streamforge-dead-letter-reader-${newShortId()}`;
  const deadLetters: DeadLetter[] = [];
  let overflow = false;
  let failure: Error | undefined;
  const take = (batch: readonly BusMessage[]): Promise<void> => {
    for (const m of batch) {
      const letter = DeadLetter.safeParse(parseJsonOrUndefined(m.value));
      if (!letter.success) {
        log.warn({ topic, partition: m.partition, offset: m.offset }, 'not a dead letter: skipped');
        continue;
      }
      if (deadLetters.length < options.limit) deadLetters.push(letter.data);
      else overflow = true;
    }
    return Promise.resolve();
  };
  // The connector creates its dead-letter topic when it starts: one that has not started yet has none.
  await bus.ensureTopics([{ name: topic }]);
  const subscription = await bus.subscribe({
    groupId,
    topics: [topic],
    fromBeginning: true,
    handler: take,
    onError: (err) => (failure = err instanceof Error ? err : new Error(`reading ${topic} failed`, { cause: err })),
    maxBatchSize: Math.min(options.limit + 1, 500),
  });
  try {
    const deadline = clock.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      if (failure !== undefined) throw failure;
      const lags = (await bus.lag()).filter((l) => l.groupId === groupId && l.topic === topic);
      const behind = lags.some((l) => l.lag > 0);
      if (deadLetters.length >= options.limit) return { deadLetters, more: overflow || behind };
      if (!behind) return { deadLetters, more: false };
      if (clock.now() > deadline) {
        throw new StreamForgeError(ErrorCodes.UNAVAILABLE, `reading the dead letters of ${topic} took longer than ${options.timeoutMs ?? 10_000} ms; try again`, { retriable: true });
      }
      await clock.sleep(options.pollMs ?? 25);
    }
  } finally {
    await subscription.close();
    await bus.deleteGroups([groupId]);
  }
}
