import type { TrainedModel } from '../../actors/index.ts';

interface Entry {
  readonly model: Promise<TrainedModel>;
  /** Calls using the model now: an evicted model is disposed when the last one ends. */
  users: number;
  evicted: boolean;
}

/**
 * Loaded models by id, the `capacity` most recently used kept (a model is immutable once stored, so
 * its id names it for good). Concurrent first uses share one load; a model pushed out while a call
 * still uses it is disposed when that call ends; a failed load is forgotten, so the next call tries again.
 */
export class ModelCache {
  readonly capacity: number;
  readonly #entries = new Map<string, Entry>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a model cache holds at least 1 model, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Ids held, least recently used first. */
  get ids(): string[] {
    return [...this.#entries.keys()];
  }

  /** Runs `use` with the model `id`, loading it with `load` unless held. */
  async with<T>(id: string, load: () => Promise<TrainedModel>, use: (model: TrainedModel) => T | Promise<T>): Promise<T> {
    const entry = this.#acquire(id, load);
    try {
      return await use(await entry.model);
    } finally {
      entry.users -= 1;
      if (entry.evicted && entry.users === 0) await this.#dispose(entry);
    }
  }

  /** Disposes every model (those in use when their call ends). */
  async clear(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) {
      entry.evicted = true;
      if (entry.users === 0) await this.#dispose(entry);
    }
  }

  #acquire(id: string, load: () => Promise<TrainedModel>): Entry {
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      const created: Entry = { model: load(), users: 0, evicted: false };
      created.model.catch(() => {
        if (this.#entries.get(id) === created) this.#entries.delete(id);
      });
      entry = created;
      this.#entries.set(id, entry);
      this.#evict();
    } else {
      // Most recently used last.
      this.#entries.delete(id);
      this.#entries.set(id, entry);
    }
    entry.users += 1;
    return entry;
  }

  #evict(): void {
    while (this.#entries.size > this.capacity) {
      const [oldest, entry] = this.#entries.entries().next().value as [string, Entry];
      this.#entries.delete(oldest);
      entry.evicted = true;
      if (entry.users === 0) void this.#dispose(entry);
    }
  }

  async #dispose(entry: Entry): Promise<void> {
    const model = await entry.model.catch(() => undefined);
    model?.dispose();
  }
}
