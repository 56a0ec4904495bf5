import { assertNever, connectorGroupId } from '../../protocol/index.ts';
import type { StartCommand } from '../../protocol/index.ts';
import type { ActorContext, Behaviour, BusMessage, Subscription } from '../ports/index.ts';
import { listenForStageControl } from '../stage/control-listener.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import type { StageDeps } from '../stage/stage-deps.ts';
import { SeriesWriter } from './series-writer.ts';

export type ConnectorMessage =
  | { readonly type: 'batch'; readonly messages: readonly BusMessage[]; readonly done: (err?: unknown) => void; readonly incarnation: number }
  | StageControlMessage;

let incarnations = 0;

/**
 * One workflow's connector: its data topic, in its own consumer group, through a {@link SeriesWriter};
 * offsets committed by the bus only after a batch is durable.
 */
export class SeriesConnector implements Behaviour<ConnectorMessage> {
  readonly #deps: StageDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<ConnectorMessage>;
  readonly #writer: SeriesWriter;
  readonly #incarnation = ++incarnations;
  readonly #pending = new Set<(err?: unknown) => void>();
  #data: Subscription | undefined;
  #control: Subscription | undefined;
  #stopped = false;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<ConnectorMessage>) {
    this.#deps = deps;
    this.#cmd = command;
    this.#ctx = ctx;
    this.#writer = new SeriesWriter(deps, command, ctx.log);
  }

  async start(): Promise<void> {
    const { bus, settings } = this.#deps;
    await this.#writer.open();
    this.#control = await listenForStageControl(this.#deps, this.#cmd, this.#ctx);
    this.#data = await bus.subscribe({
      groupId: connectorGroupId(this.#cmd.queue_id),
      topics: [this.#cmd.kafka_topic],
      fromBeginning: true,
      maxBatchSize: settings.connectorBatchSize,
      // Through the mailbox, so a batch is one actor message; the bus commits when it resolves.
      handler: (messages) =>
        new Promise<void>((resolve, reject) => {
          const done = (err?: unknown) => {
            this.#pending.delete(done);
            if (err === undefined) resolve();
            else reject(err instanceof Error ? err : new Error('batch failed', { cause: err }));
          };
          this.#pending.add(done);
          this.#ctx.self.tell({ type: 'batch', messages, done, incarnation: this.#incarnation });
        }),
      onError: (err) => this.#ctx.fail(err),
    });
  }

  async receive(message: ConnectorMessage): Promise<void> {
    switch (message.type) {
      case 'batch': {
        if (message.incarnation !== this.#incarnation || this.#stopped) {
          message.done(new Error('batch from an earlier incarnation'));
          return;
        }
        const outcome = await this.#writer.write(message.messages);
        message.done();
        if (outcome === 'ended') {
          this.#stopped = true;
          this.#ctx.stopSelf();
        }
        return;
      }
      case 'stop':
        if (this.#stopped) return;
        this.#stopped = true;
        await this.#writer.interrupted();
        this.#ctx.stopSelf();
        return;
      case 'ping':
        await this.#writer.pong(message.ping);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    for (const done of [...this.#pending]) done(new Error('connector stopped'));
    await this.#data?.close();
    await this.#control?.close();
  }
}
