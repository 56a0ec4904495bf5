import { Command, parseJsonOrUndefined, stageControlGroupId } from '../../protocol/index.ts';
import type { PingCommand, StartCommand } from '../../protocol/index.ts';
import type { Bus, Logger, Metrics, Subscription } from '../ports/index.ts';
import type { StageDeps } from './stage-deps.ts';

export interface ControlHandlers {
  readonly stop: () => void;
  readonly ping: (ping: PingCommand) => void;
}

/**
 * Listens on `queue-control` for one workflow's commands. Each stage instance has a group of its
 * own, so a `stop` reaches every stage (the original shared one group and reached only one).
 */
export async function listenForControl(options: {
  bus: Bus;
  topic: string;
  groupId: string;
  queueId: string;
  log: Logger;
  metrics: Metrics;
  handlers: ControlHandlers;
  onError: (err: unknown) => void;
}): Promise<Subscription> {
  const { log, metrics, handlers, queueId } = options;
  return options.bus.subscribe({
    groupId: options.groupId,
    topics: [options.topic],
    fromBeginning: false,
    handler: (batch) => {
      for (const m of batch) {
        const parsed = Command.safeParse(parseJsonOrUndefined(m.value));
        if (!parsed.success) {
          metrics.messageRejected('control_schema');
          log.warn({ offset: m.offset, issues: parsed.error.issues.length }, 'control message rejected');
          continue;
        }
        const cmd = parsed.data;
        if (cmd.queue_id !== queueId) continue;
        switch (cmd.command) {
          case 'stop':
            handlers.stop();
            break;
          case 'ping':
            handlers.ping(cmd);
            break;
          case 'start':
            break;
          default: {
            const never: never = cmd;
            log.warn({ command: never }, 'unknown command');
          }
        }
      }
      return Promise.resolve();
    },
    onError: options.onError,
  });
}

/** The control messages every stage actor handles. */
export type StageControlMessage = { readonly type: 'stop' } | { readonly type: 'ping'; readonly ping: PingCommand };

/** A stage's own control subscription: group `streamforge-<telemetry id>-control`, commands told to the actor as messages. */
export function listenForStageControl(
  deps: Pick<StageDeps, 'bus' | 'metrics' | 'settings'>,
  command: Pick<StartCommand, 'telemetry_id' | 'queue_id'>,
  actor: { readonly log: Logger; readonly self: { tell(message: StageControlMessage): void }; fail(error: unknown): void },
): Promise<Subscription> {
  const { self } = actor;
  return listenForControl({
    bus: deps.bus,
    topic: deps.settings.controlTopic,
    groupId: stageControlGroupId(command.telemetry_id),
    queueId: command.queue_id,
    log: actor.log,
    metrics: deps.metrics,
    handlers: { stop: () => self.tell({ type: 'stop' }), ping: (ping) => self.tell({ type: 'ping', ping }) },
    onError: (err) => actor.fail(err),
  });
}
