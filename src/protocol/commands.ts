import { z } from 'zod';
import { GnnParams } from './gnn-params.ts';

/** Commands on `queue-control`, as the original wrote them. Unknown fields are kept (additive evolution). */
export const StartCommand = z.looseObject({
  command: z.literal('start'),
  queue_id: z.string().min(1),
  target: z.string().min(1),
  symbol: z.string().min(1),
  type: z.string().min(1),
  time_range: z.string().min(1),
  kafka_topic: z.string().min(1),
  collection_name: z.string().min(1),
  telemetry_id: z.string().min(1),
  image: z.string().optional(),
  timestamp: z.number(),
  /** Graph-builder and trainer stages: the universe and settings of their workflow. */
  gnn: GnnParams.optional(),
  /**
   * This launch of the stage (the supervisor's clock at launch, increasing with each relaunch). The
   * stage stamps its telemetry with it, and its supervisor ignores telemetry of an older launch: a
   * stalled stage that wakes up after its replacement started cannot change the workflow's state.
   */
  generation: z.number().int().nonnegative().optional(),
});
export type StartCommand = z.infer<typeof StartCommand>;

export const StopCommand = z.looseObject({
  command: z.literal('stop'),
  queue_id: z.string().min(1),
  target: z.string().optional(),
  timestamp: z.number().optional(),
});
export type StopCommand = z.infer<typeof StopCommand>;

export const PingCommand = z.looseObject({
  command: z.literal('ping'),
  queue_id: z.string().min(1),
  sent_at: z.number(),
});
export type PingCommand = z.infer<typeof PingCommand>;

export const Command = z.discriminatedUnion('command', [StartCommand, StopCommand, PingCommand]);
export type Command = z.infer<typeof Command>;
