import * as tf from '@tensorflow/tfjs';
import type { ModelBackend, ModelBackendName } from '../../actors/ports/model-backend.ts';
import { ConfigError } from '../../protocol/index.ts';
import { loadTfjsNode } from './load-tfjs-node.ts';
import { TfjsModelBackend } from './tfjs-model-backend.ts';

/** tfjs's engine, and so its active backend, is one per process: so is the backend chosen here. */
let chosen: { readonly name: ModelBackendName; readonly backend: Promise<ModelBackend> } | undefined;

/**
 * The model backend `TF_BACKEND` names, its tfjs backend initialised once for this process:
 * `wasm` (default: XNNPACK with SIMD, one thread; the `.wasm` ships in the npm package), `cpu`
 * (pure JavaScript, slower, no native code at all) or `tensorflow` (`@tensorflow/tfjs-node`, when
 * installed: a `ConfigError` says how otherwise). Asking again for the same name gives the same
 * backend; asking for another one in the same process is refused, since tfjs would switch every
 * model in the process to it. tfjs's production mode is set (no "install tfjs-node" banner on stdout).
 */
export function createModelBackend(name: ModelBackendName = 'wasm'): Promise<ModelBackend> {
  if (chosen !== undefined) {
    if (chosen.name !== name) {
      return Promise.reject(
        new ConfigError(`this process already uses the '${chosen.name}' tfjs backend; '${name}' would switch every model in it (one TF_BACKEND per process)`),
      );
    }
    return chosen.backend;
  }
  const backend = initialise(name);
  chosen = { name, backend };
  backend.catch(() => {
    if (chosen?.backend === backend) chosen = undefined;
  });
  return backend;
}

async function initialise(name: ModelBackendName): Promise<ModelBackend> {
  tf.enableProdMode();
  switch (name) {
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      break;
    case 'tensorflow':
      await loadTfjsNode();
      break;
    case 'cpu':
      break;
  }
  let ready = false;
  try {
    ready = await tf.setBackend(name);
  } catch (err) {
    throw new ConfigError(`TF_BACKEND=${name}: the tfjs backend failed to initialise: ${(err as Error).message}`, { cause: err });
  }
  if (!ready) throw new ConfigError(`TF_BACKEND=${name}: the tfjs backend failed to initialise`);
  return new TfjsModelBackend(name);
}
