import { assertNever, ErrorCodes, trainerGroupId, GraphFeaturesMessage, isGraphSnapshotEnd, parseJsonOrUndefined, parseTimeRangeText, StreamForgeError, ValidationError } from '../../protocol/index.ts';
import type { GnnParams, GraphSnapshot, StartCommand } from '../../protocol/index.ts';
import { minimumSnapshots, trainUniverse } from '../analytics/index.ts';
import type { UniverseTrainingResult } from '../analytics/index.ts';
import { ModelRepository } from '../models/model-repository.ts';
import type { ActorContext, Behaviour, BusMessage, ModelBackend, Subscription } from '../ports/index.ts';
import type { StageControlMessage } from '../stage/control-listener.ts';
import { StageLifecycle } from '../stage/stage-lifecycle.ts';
import type { AnalyticsDeps, StageDeps } from '../stage/stage-deps.ts';
import { newModelRecord } from './new-model-record.ts';
import { SnapshotCheckpoint } from './snapshot-checkpoint.ts';

export type TrainerMessage =
  | { readonly type: 'batch'; readonly messages: readonly BusMessage[]; readonly done: (err?: unknown) => void }
  | { readonly type: 'trained'; readonly modelId: string; readonly promoted: boolean }
  | { readonly type: 'train-failed'; readonly error: unknown }
  | StageControlMessage;

/** Least time between two epoch events of one training (the progress display's refresh). */
const EPOCH_EVENT_MS = 250;

/**
 * The trainer stage: consumes the workflow's graph snapshots (its own consumer group, from its
 * committed offset), keeps each consumed batch in its checkpoint before the offsets are committed,
 * and trains once the stream has ended (live: every `retrain_every` new snapshots, each a new model
 * version): the graph network and its baselines on the same samples, scored on a held-out test
 * period, stored in the object store and listed in the model registry. It never reads the store's
 * candles: the snapshots carry what it needs.
 */
export class Trainer implements Behaviour<TrainerMessage> {
  readonly #deps: StageDeps;
  readonly #analytics: AnalyticsDeps;
  readonly #cmd: StartCommand;
  readonly #ctx: ActorContext<TrainerMessage>;
  readonly #stage: StageLifecycle;
  readonly #gnn: GnnParams;
  readonly #dataFromMs: number;
  readonly #checkpoint: SnapshotCheckpoint;
  readonly #snapshots = new Map<number, GraphSnapshot>();
  readonly #pending = new Set<(err?: unknown) => void>();
  #data: Subscription | undefined;
  /** Snapshots the builder said it published (its end marker), once seen. */
  #expectedTotal: number | undefined;
  #trainedAt = 0;
  #training = false;
  #models = 0;

  constructor(deps: StageDeps, command: StartCommand, ctx: ActorContext<TrainerMessage>) {
    const range = parseTimeRangeText(command.time_range);
    if (!command.gnn || !range) throw new ValidationError(`a trainer needs its universe (gnn) and a range; got type ${command.type} over ${command.time_range}`);
    if (!deps.analytics) throw new ValidationError('this process hosts no analytics: the trainer cannot store models here');
    this.#deps = deps;
    this.#analytics = deps.analytics;
    this.#cmd = command;
    this.#ctx = ctx;
    this.#gnn = command.gnn;
    this.#dataFromMs = range.fromMs;
    this.#checkpoint = new SnapshotCheckpoint(deps.analytics.objects, command.queue_id);
    this.#stage = new StageLifecycle(deps, command, ctx, { counters: () => ({ records_written: this.#snapshots.size }), failureLog: 'trainer failed' });
  }

  async start(): Promise<void> {
    await this.#stage.open();
    try {
      const kept = await this.#checkpoint.load();
      for (const s of kept.snapshots) this.#snapshots.set(s.time, s);
      this.#expectedTotal = kept.end;
    } catch (err) {
      await this.#stage.fail(err);
      return;
    }
    this.#trainedAt = this.#gnn.live ? this.#snapshots.size : 0;
    await this.#stage.telemetry.publish('started', {
      message: `Training ${this.#gnn.arch} on ${this.#gnn.symbols.length} symbols${this.#snapshots.size > 0 ? ` (${this.#snapshots.size} snapshots kept from before)` : ''}`,
      records_written: this.#snapshots.size,
    });
    this.#data = await this.#deps.bus.subscribe({
      groupId: trainerGroupId(this.#cmd.queue_id),
      topics: [this.#cmd.kafka_topic],
      fromBeginning: true,
      maxBatchSize: 1_000,
      // Through the mailbox, so a batch is one actor message; the bus commits once its checkpoint is durable.
      handler: (messages) =>
        new Promise<void>((resolve, reject) => {
          const done = (err?: unknown) => {
            this.#pending.delete(done);
            if (err === undefined) resolve();
            else reject(err instanceof Error ? err : new Error('batch failed', { cause: err }));
          };
          this.#pending.add(done);
          this.#ctx.self.tell({ type: 'batch', messages, done });
        }),
      onError: (err) => this.#ctx.self.tell({ type: 'train-failed', error: err }),
    });
    // Relaunched with every snapshot (and the end marker) already kept: nothing more will come.
    this.#maybeTrain();
  }

  async receive(message: TrainerMessage): Promise<void> {
    switch (message.type) {
      case 'batch':
        await this.#batch(message.messages, message.done);
        return;
      case 'trained':
        await this.#trained(message.modelId, message.promoted);
        return;
      case 'train-failed':
        this.#training = false;
        await this.#stage.fail(message.error);
        return;
      case 'stop':
      case 'ping':
        await this.#stage.control(message);
        return;
      default:
        assertNever(message, 'message');
    }
  }

  async dispose(): Promise<void> {
    for (const done of [...this.#pending]) done(new Error('trainer stopped'));
    await this.#data?.close();
    await this.#stage.dispose();
  }

  async #batch(messages: readonly BusMessage[], done: (err?: unknown) => void): Promise<void> {
    if (this.#stage.stopped) {
      done(new Error('trainer stopped'));
      return;
    }
    const fresh: GraphSnapshot[] = [];
    let end: number | undefined;
    for (const m of messages) {
      const parsed = GraphFeaturesMessage.safeParse(parseJsonOrUndefined(m.value));
      if (!parsed.success) {
        this.#deps.metrics.messageRejected('graph_snapshot_schema');
        this.#ctx.log.warn({ offset: m.offset, issues: parsed.error.issues.length }, 'graph snapshot rejected');
        continue;
      }
      if (isGraphSnapshotEnd(parsed.data)) end = parsed.data.snapshots;
      else fresh.push(parsed.data);
    }
    try {
      const first = messages[0];
      if (first !== undefined && (fresh.length > 0 || end !== undefined)) await this.#checkpoint.append(first.partition, first.offset, fresh, end);
    } catch (err) {
      done(err);
      await this.#stage.fail(err);
      return;
    }
    for (const s of fresh) this.#snapshots.set(s.time, s);
    if (end !== undefined) this.#expectedTotal = end;
    done();
    await this.#stage.progress(this.#snapshots.size, () => ({ message: `Consumed ${this.#snapshots.size} graph snapshots`, records_written: this.#snapshots.size }));
    this.#maybeTrain();
  }

  /** Batch: once the end marker is in and every snapshot it counts has been consumed. Live: every `retrain_every` new snapshots. */
  #maybeTrain(): void {
    if (this.#training || this.#stage.stopped) return;
    const held = this.#snapshots.size;
    if (this.#gnn.live) {
      if (held - this.#trainedAt >= this.#gnn.retrain_every && held >= minimumSnapshots(this.#gnn.window, this.#gnn.horizon)) this.#train();
      return;
    }
    if (this.#expectedTotal === undefined) return;
    if (held !== this.#expectedTotal) {
      const error = new StreamForgeError(ErrorCodes.STAGE_FAILED, `the graph-builder published ${this.#expectedTotal} snapshots, the trainer holds ${held}`);
      void this.#stage.fail(error);
      return;
    }
    this.#train();
  }

  /** Trains outside the mailbox (stop and ping stay answered; a stop aborts it), then tells itself the outcome. */
  #train(): void {
    this.#training = true;
    this.#trainedAt = this.#snapshots.size;
    const snapshots = [...this.#snapshots.values()].sort((a, b) => a.time - b.time);
    void this.#fitAndStore(snapshots).then(
      (model) => this.#ctx.self.tell({ type: 'trained', ...model }),
      (error: unknown) => this.#ctx.self.tell({ type: 'train-failed', error }),
    );
  }

  async #fitAndStore(snapshots: readonly GraphSnapshot[]): Promise<{ modelId: string; promoted: boolean }> {
    const backend = await this.#analytics.modelBackend();
    const gnn = this.#gnn;
    let lastEvent = 0;
    const result = await trainUniverse(snapshots, backend, {
      arch: gnn.arch,
      horizon: gnn.horizon,
      seed: gnn.seed,
      epochs: gnn.epochs,
      signal: this.#stage.signal,
      onEpoch: (model, stats, maxEpochs) => {
        const now = this.#deps.clock.now();
        if (now - lastEvent < EPOCH_EVENT_MS && stats.epoch < maxEpochs) return;
        lastEvent = now;
        void this.#stage.telemetry
          .publish('loading', {
            message: `Training ${model}: epoch ${stats.epoch}/${maxEpochs}, validation accuracy ${stats.val_accuracy.toFixed(3)}`,
            records_written: snapshots.length,
            model,
            epoch: stats.epoch,
            epochs: maxEpochs,
          })
          .catch((err: unknown) => this.#ctx.log.warn({ err }, 'epoch event not published'));
      },
    });
    try {
      return await this.#store(snapshots, result, backend);
    } finally {
      for (const fit of Object.values(result.fits)) fit.model.dispose();
    }
  }

  async #store(snapshots: readonly GraphSnapshot[], result: UniverseTrainingResult, backend: ModelBackend): Promise<{ modelId: string; promoted: boolean }> {
    const repository = new ModelRepository({
      objects: this.#analytics.objects,
      store: this.#deps.store,
      ...(this.#analytics.modelKeep !== undefined ? { keep: this.#analytics.modelKeep } : {}),
      log: this.#ctx.log,
    });
    await repository.init();
    const record = newModelRecord({
      queueId: this.#cmd.queue_id,
      nowMs: this.#deps.clock.now(),
      gnn: this.#gnn,
      snapshots,
      dataFromMs: this.#dataFromMs,
      result,
      backend: backend.name,
      codeVersion: this.#analytics.codeVersion,
    });
    const saved = await repository.save(record, await result.fits.gnn.model.serialize());
    this.#ctx.log.info({ model: saved.id, promoted: saved.promoted, accuracy: saved.metrics.gnn.accuracy, mlp: saved.metrics.mlp.accuracy }, 'model stored');
    return { modelId: saved.id, promoted: saved.promoted };
  }

  async #trained(modelId: string, promoted: boolean): Promise<void> {
    this.#training = false;
    this.#models += 1;
    const fields = { records_written: this.#snapshots.size, model_id: modelId };
    if (this.#gnn.live) {
      await this.#stage.telemetry.publish('loading', { ...fields, message: `Stored model ${modelId} (version ${this.#models} of this run)${promoted ? ', promoted' : ''}` });
      this.#maybeTrain();
      return;
    }
    this.#stage.halt();
    await this.#stage.telemetry.publish('finished', { ...fields, message: `Stored model ${modelId}${promoted ? ' (promoted)' : ''}`, finished: true });
    await this.#checkpoint.clear().catch((err: unknown) => this.#ctx.log.warn({ err }, 'checkpoint not cleared'));
    this.#ctx.stopSelf();
  }
}
