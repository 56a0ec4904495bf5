import { checkPredictionTime, predictAt, predictionBody, predictionWarmup, warmupStart } from '../../actors/analytics/index.ts';
import { ModelRepository } from '../../actors/models/model-repository.ts';
import type { Logger, ModelBackend, ObjectStore, Store, TrainedModel } from '../../actors/index.ts';
import type { ModelMetadata, PredictionBody } from '../../protocol/index.ts';
import { ModelCache } from './model-cache.ts';
import { noCandlesError } from './no-candles-error.ts';
import { queryUniverseCandles, symbolsWithoutCandles } from './universe-candles.ts';

/** Models a serving process keeps loaded: a few, each some hundred kilobytes of weights. @defaultValue 4 */
export const MODEL_CACHE_SIZE = 4;

export interface ModelServiceOptions {
  readonly store: Store;
  /** Opens the object store on first use (its client is loaded then, not by processes that never read a model). */
  readonly objects: () => Promise<ObjectStore>;
  /** The process's model backend, created on the first prediction (tfjs takes a second or two to load). */
  readonly backend: () => Promise<ModelBackend>;
  /** @defaultValue {@link MODEL_CACHE_SIZE} */
  readonly cacheSize?: number;
  readonly log?: Logger;
}

/**
 * The read side of the models, as `models`, `predict` and `/models*` serve it: the registry (newest
 * first), one model's metadata, and predictions from the stored candles closed at a time, with the
 * model's files read once (sha256-checked by the repository) and kept loaded for later calls.
 */
export class ModelService {
  readonly #options: ModelServiceOptions;
  readonly #cache: ModelCache;
  #repository: Promise<ModelRepository> | undefined;
  #objects: ObjectStore | undefined;

  constructor(options: ModelServiceOptions) {
    this.#options = options;
    this.#cache = new ModelCache(options.cacheSize ?? MODEL_CACHE_SIZE);
  }

  /** Every stored model, newest first. */
  async list(): Promise<ModelMetadata[]> {
    return (await this.#repo()).list();
  }

  /** A model by id, or `latest` (the newest promoted one): `SF_ERR_NOT_FOUND` when there is none. */
  async get(idOrLatest: string): Promise<ModelMetadata> {
    return (await this.#repo()).resolve(idOrLatest);
  }

  /** The model's classes `horizon` candles after the last candle closed at or before `atMs`, from stored candles up to it only. */
  async predict(idOrLatest: string, atMs: number): Promise<PredictionBody> {
    const repo = await this.#repo();
    const model = await repo.resolve(idOrLatest);
    checkPredictionTime(model, atMs);
    const fromMs = warmupStart(model.interval, atMs, predictionWarmup(model).lookback + 1);
    const range = { symbols: model.symbols, interval: model.interval, fromMs, toMs: atMs };
    const empty = await symbolsWithoutCandles(this.#options.store, range);
    if (empty.length > 0) throw noCandlesError(empty, model.interval, fromMs, atMs, ` (model ${model.id} reads the candles before at)`);
    const { inputs, lastCandleMs } = predictAt(model, await queryUniverseCandles(this.#options.store, range), atMs);
    const probabilities = await this.#cache.with(model.id, () => this.#load(repo, model), (m) => m.predict(inputs));
    return predictionBody(model, atMs, lastCandleMs, probabilities);
  }

  /** Disposes the loaded models and closes the object store, if it was opened. */
  async close(): Promise<void> {
    await this.#cache.clear();
    await this.#objects?.close();
  }

  #repo(): Promise<ModelRepository> {
    this.#repository ??= this.#open();
    return this.#repository;
  }

  async #open(): Promise<ModelRepository> {
    try {
      this.#objects = await this.#options.objects();
      const repo = new ModelRepository({ objects: this.#objects, store: this.#options.store, ...(this.#options.log ? { log: this.#options.log } : {}) });
      await repo.init();
      return repo;
    } catch (err) {
      this.#repository = undefined;
      throw err;
    }
  }

  async #load(repo: ModelRepository, model: ModelMetadata): Promise<TrainedModel> {
    const artifacts = await repo.artifacts(model);
    const backend = await this.#options.backend();
    const loaded = await backend.load(model.hyperparameters.arch, artifacts);
    this.#options.log?.info({ model: model.id, backend: backend.name }, 'model loaded');
    return loaded;
  }
}
