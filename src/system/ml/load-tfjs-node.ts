import util from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../protocol/index.ts';

/** Not a dependency: its install downloads libtensorflow, which fails where that host is unreachable. */
const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * Loads `@tensorflow/tfjs-node` when it is installed, which registers the `tensorflow` backend
 * (libtensorflow, multi-threaded) in this process's tfjs. It is an optional peer dependency, imported
 * only here; a clear configuration error says how to install it when it is missing or does not load.
 */
export async function loadTfjsNode(): Promise<void> {
  const install = `install it with \`npm install --save-exact ${TFJS_NODE}@${tf.version.tfjs}\` (its install script downloads libtensorflow), or set TF_BACKEND=wasm or cpu`;
  try {
    import.meta.resolve(TFJS_NODE);
  } catch (err) {
    throw new ConfigError(`TF_BACKEND=tensorflow needs ${TFJS_NODE}, which is not installed: ${install}`, { cause: err });
  }
  restoreLegacyUtil();
  try {
    const specifier: string = TFJS_NODE;
    await import(specifier);
  } catch (err) {
    throw new ConfigError(
      `TF_BACKEND=tensorflow: ${TFJS_NODE} is installed but failed to load (${(err as Error).message}); its native binding comes from its install script: reinstall it (${install})`,
      { cause: err },
    );
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    throw new ConfigError(
      `TF_BACKEND=tensorflow: ${TFJS_NODE} loaded but registered no backend with this process's @tensorflow/tfjs ${tf.version.tfjs} (a different version?): ${install}`,
    );
  }
}

/**
 * tfjs-node 4.22 calls `util.isNullOrUndefined` and `util.isArray`, which Node 23 removed
 * (tensorflow/tfjs#8609, fixed upstream, not released): put them back before it loads.
 */
function restoreLegacyUtil(): void {
  const legacy = util as unknown as Record<string, unknown>;
  legacy['isNullOrUndefined'] ??= (value: unknown) => value === null || value === undefined;
  legacy['isArray'] ??= Array.isArray;
}
