import type { Bus, Store } from '../../src/actors/index.ts';

/** Chaos for the in-process runtime: the real bus, but `produce` to matching topics throws on chosen calls. */
export function busFailingOnProduce(bus: Bus, matches: (topic: string) => boolean, failOnCalls: ReadonlySet<number>): Bus & { failures: number } {
  let calls = 0;
  const wrapper = Object.create(bus) as Bus & { failures: number };
  wrapper.failures = 0;
  wrapper.produce = async (topic, messages) => {
    if (matches(topic)) {
      calls++;
      if (failOnCalls.has(calls)) {
        wrapper.failures++;
        throw new Error(`injected crash on produce call ${calls} to ${topic}`);
      }
    }
    return bus.produce(topic, messages);
  };
  return bindAll(bus, wrapper);
}

/** The real store, but `upsert` into matching collections throws on chosen calls. */
export function storeFailingOnUpsert(store: Store, matches: (collection: string) => boolean, failOnCalls: ReadonlySet<number>): Store & { failures: number } {
  let calls = 0;
  const wrapper = Object.create(store) as Store & { failures: number };
  wrapper.failures = 0;
  wrapper.upsert = async (collection, docs) => {
    if (matches(collection)) {
      calls++;
      if (failOnCalls.has(calls)) {
        wrapper.failures++;
        throw new Error(`injected crash on upsert call ${calls} into ${collection}`);
      }
    }
    return store.upsert(collection, docs);
  };
  return bindAll(store, wrapper);
}

/** Methods of classes with #private fields must run with the original as `this`. */
function bindAll<T extends object, W extends T>(original: T, wrapper: W): W {
  let proto: object | null = Object.getPrototypeOf(original) as object | null;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || Object.prototype.hasOwnProperty.call(wrapper, name)) continue;
      const value = (original as Record<string, unknown>)[name];
      if (typeof value === 'function') {
        Object.defineProperty(wrapper, name, { value: (value as (...a: unknown[]) => unknown).bind(original) });
      }
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  Object.defineProperty(wrapper, 'kind', { value: (original as { kind?: unknown }).kind });
  return wrapper;
}
