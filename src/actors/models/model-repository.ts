import { createHash } from 'node:crypto';
import { ModelMetadata, StreamForgeError, ErrorCodes, ValidationError } from '../../protocol/index.ts';
import type { ModelArtifacts } from '../ports/model-backend.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { Logger, Store } from '../ports/index.ts';

export const MODELS_COLLECTION = 'models';

/** What a trainer knows of a model before it is stored: everything but where it went and its checksums. */
export type NewModel = Omit<ModelMetadata, 'files' | 'sha256' | 'uri'>;

export interface ModelRepositoryOptions {
  readonly objects: ObjectStore;
  readonly store: Store;
  /** Versions kept per universe (the newest promoted one is kept besides). @defaultValue 10 */
  readonly keep?: number;
  readonly log?: Logger;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Models in the object store (`models/<id>/model.json`, `weights.bin`, `metadata.json`) and the
 * registry that lists them (the `models` collection). The metadata is written after the files and
 * the registry entry last, so a model is listed only once all of it is there; a reader checks the
 * files against the sha256 sums the metadata recorded.
 */
export class ModelRepository {
  readonly #objects: ObjectStore;
  readonly #store: Store;
  readonly #keep: number;
  readonly #log: Logger | undefined;

  constructor(options: ModelRepositoryOptions) {
    this.#objects = options.objects;
    this.#store = options.store;
    this.#keep = options.keep ?? 10;
    this.#log = options.log;
  }

  async init(): Promise<void> {
    await this.#store.ensureCollection(MODELS_COLLECTION, { sortField: 'created_at_ms' });
  }

  /** Writes the files, then the metadata, then the registry entry; then forgets versions of the universe past `keep`. */
  async save(model: NewModel, artifacts: ModelArtifacts): Promise<ModelMetadata> {
    const dir = `models/${model.id}/`;
    const files = { model: `${dir}model.json`, weights: `${dir}weights.bin`, metadata: `${dir}metadata.json` };
    const modelBytes = new TextEncoder().encode(artifacts.modelJson);
    const metadata: ModelMetadata = {
      ...model,
      files,
      sha256: { model: sha256(modelBytes), weights: sha256(artifacts.weights) },
      // The directory's URI: the object store names objects, not prefixes.
      uri: this.#objects.uri(files.metadata).slice(0, -'metadata.json'.length),
    };
    await this.#objects.put(files.weights, artifacts.weights, 'application/octet-stream');
    await this.#objects.put(files.model, modelBytes, 'application/json');
    await this.#objects.put(files.metadata, new TextEncoder().encode(`${JSON.stringify(metadata, null, 2)}\n`), 'application/json');
    await this.#store.upsert(MODELS_COLLECTION, [{ _key: metadata.id, ...metadata }]);
    await this.#prune(metadata.universe);
    return metadata;
  }

  /** Every listed model, newest first. */
  async list(): Promise<ModelMetadata[]> {
    const docs = await this.#store.range(MODELS_COLLECTION);
    const models: ModelMetadata[] = [];
    for (const doc of docs) {
      const parsed = ModelMetadata.safeParse(doc);
      if (parsed.success) models.push(parsed.data);
      else this.#log?.warn({ id: doc._key }, 'model registry entry unreadable; skipped');
    }
    return models.sort((a, b) => b.created_at_ms - a.created_at_ms || (a.id < b.id ? 1 : -1));
  }

  async get(id: string): Promise<ModelMetadata | undefined> {
    const doc = await this.#store.get(MODELS_COLLECTION, id);
    if (doc === undefined) return undefined;
    const parsed = ModelMetadata.safeParse(doc);
    return parsed.success ? parsed.data : undefined;
  }

  /** `latest`: the newest promoted model; otherwise the model with that id. Unknown: `SF_ERR_NOT_FOUND`. */
  async resolve(idOrLatest: string): Promise<ModelMetadata> {
    if (idOrLatest === 'latest') {
      const promoted = (await this.list()).find((m) => m.promoted);
      if (promoted === undefined) {
        throw new StreamForgeError(ErrorCodes.NOT_FOUND, 'no promoted model yet (a model is promoted when it beats its MLP baseline on its test period); see `streamforge models`');
      }
      return promoted;
    }
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(idOrLatest)) throw new ValidationError(`invalid model id ${JSON.stringify(idOrLatest)}; accepted: an id from \`streamforge models\`, or latest`);
    const model = await this.get(idOrLatest);
    if (model === undefined) throw new StreamForgeError(ErrorCodes.NOT_FOUND, `no model ${idOrLatest}; see \`streamforge models\` for the stored ones, or use latest`);
    return model;
  }

  /** The model's files, checked against the sums its metadata recorded. */
  async artifacts(model: ModelMetadata): Promise<ModelArtifacts> {
    const [modelBytes, weights] = await Promise.all([this.#objects.get(model.files.model), this.#objects.get(model.files.weights)]);
    if (modelBytes === undefined || weights === undefined) {
      throw new StreamForgeError(ErrorCodes.MODEL_CORRUPT, `model ${model.id}: ${modelBytes === undefined ? model.files.model : model.files.weights} is missing from ${model.uri}`);
    }
    for (const [name, bytes, expected] of [
      ['model.json', modelBytes, model.sha256.model],
      ['weights.bin', weights, model.sha256.weights],
    ] as const) {
      const actual = sha256(bytes);
      if (actual !== expected) {
        throw new StreamForgeError(ErrorCodes.MODEL_CORRUPT, `model ${model.id}: ${name} has sha256 ${actual}, its metadata says ${expected}; the file was changed or damaged`);
      }
    }
    return { modelJson: new TextDecoder().decode(modelBytes), weights };
  }

  /** Keeps the newest `keep` versions of a universe and its newest promoted one; the rest leave the registry, then the object store. */
  async #prune(universe: string): Promise<void> {
    const versions = (await this.list()).filter((m) => m.universe === universe);
    const promoted = versions.find((m) => m.promoted);
    const doomed = versions.slice(this.#keep).filter((m) => m !== promoted);
    for (const m of doomed) {
      await this.#store.delete(MODELS_COLLECTION, [m.id]);
      await this.#objects.deletePrefix(`models/${m.id}/`);
      this.#log?.info({ model: m.id, universe }, 'old model version deleted');
    }
  }
}
