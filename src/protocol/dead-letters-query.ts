import { z } from 'zod';
import { DeadLetter } from './data-message.ts';

/** The most dead letters one `GET /queues/{queue_id}/dead-letters` answers. */
export const MAX_DEAD_LETTERS = 1_000;
/** What it answers when no `limit` is given. */
export const DEFAULT_DEAD_LETTERS = 100;

/** `GET /queues/{queue_id}/dead-letters?limit`: the first `limit` dead letters of a workflow's data topic. */
export const DeadLettersQuery = z.object({
  limit: z.coerce
    .number({ error: `expected a whole number from 1 to ${MAX_DEAD_LETTERS}` })
    .int({ error: `expected a whole number from 1 to ${MAX_DEAD_LETTERS}` })
    .min(1, { error: `expected a whole number from 1 to ${MAX_DEAD_LETTERS}` })
    .max(MAX_DEAD_LETTERS, { error: `expected a whole number from 1 to ${MAX_DEAD_LETTERS}` })
    .default(DEFAULT_DEAD_LETTERS)
    .describe(`dead letters to answer, oldest first (default ${DEFAULT_DEAD_LETTERS})`),
});
export type DeadLettersQuery = z.infer<typeof DeadLettersQuery>;

/**
 * A workflow's dead letters: the records its connector could not process, each with its error and
 * where it came from. `more` says the topic holds more than `limit`; `topic_deleted` that the
 * workflow's topics are gone (`TOPIC_RETENTION_AFTER_FINISH_MS` after it ended), dead letters with them.
 */
export const DeadLettersBody = z.object({
  queue_id: z.string(),
  topic: z.string(),
  dead_letters: z.array(DeadLetter),
  more: z.boolean(),
  topic_deleted: z.boolean(),
});
export type DeadLettersBody = z.infer<typeof DeadLettersBody>;
